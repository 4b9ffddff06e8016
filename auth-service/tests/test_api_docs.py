"""The interactive API docs: served by the service itself (no CDN), and off on request."""

from __future__ import annotations

import httpx
from service_kit.testhelpers import assert_docs_are_self_hosted

from tests.conftest import AppFactory


async def test_the_docs_page_loads_swagger_ui_from_the_service_itself(
    client: httpx.AsyncClient,
) -> None:
    await assert_docs_are_self_hosted(client, "/api/auth")


async def test_with_docs_off_the_pages_are_gone_and_the_openapi_document_stays(
    make_client: AppFactory,
) -> None:
    async with make_client(docs=False) as client:
        assert (await client.get("/api/auth/docs")).status_code == 404
        static = await client.get("/api/auth/docs/static/swagger-ui-bundle.js")
        assert static.status_code == 404
        document = await client.get("/api/auth/openapi.json")
        assert document.status_code == 200
        assert "/api/auth/login" in document.json()["paths"]


async def test_the_openapi_document_offers_bearer_authorization_on_signed_in_routes(
    client: httpx.AsyncClient,
) -> None:
    """Swagger UI's "Authorize" button comes from `components.securitySchemes`."""
    document = (await client.get("/api/auth/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["BearerToken"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    paths = document["paths"]
    assert paths["/api/auth/me"]["get"]["security"] == [{"BearerToken": []}]
    assert paths["/api/auth/logout-all"]["post"]["security"] == [{"BearerToken": []}]
    assert "security" not in paths["/api/auth/login"]["post"]
