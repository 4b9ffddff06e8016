"""The interactive API docs: served by the service itself (no CDN), and off on request."""

from __future__ import annotations

import re

import httpx

from tests.conftest import AppFactory


async def test_the_docs_page_loads_swagger_ui_from_the_service_itself(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/api/auth/docs")

    assert page.status_code == 200
    assert 'data-openapi-url="/api/auth/openapi.json"' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    assert all(asset.startswith("/api/auth/docs/static/") for asset in assets), assets
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "an inline script"
    assert "<style" not in page.text
    for asset in assets:
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.content, asset


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
