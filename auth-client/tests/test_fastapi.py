"""What an API protected with the FastAPI dependencies answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import pytest
from auth_client import AuthClient, Principal
from auth_client.fastapi import (
    AUTH_RESPONSES,
    CurrentPrincipal,
    install_auth,
    require_any_scope,
    require_scopes,
)
from auth_client.testing import LocalIssuer
from fastapi import Depends, FastAPI

StatsReader = Annotated[Principal, Depends(require_any_scope("admin", "stats:read"))]


def build_app(auth: AuthClient) -> FastAPI:
    app = FastAPI()
    install_auth(app, auth)

    @app.get("/me", responses=AUTH_RESPONSES)
    async def me(principal: CurrentPrincipal) -> dict[str, str | None]:
        return {"sub": principal.sub, "scope": principal.scope, "email": principal.email}

    @app.post("/notes", dependencies=[Depends(require_scopes("notes:read", "notes:write"))])
    async def write() -> dict[str, bool]:
        return {"written": True}

    @app.get("/stats")
    async def stats(principal: StatsReader) -> dict[str, str]:
        return {"reader": principal.sub}

    return app


@asynccontextmanager
async def serving(issuer: LocalIssuer, http: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The protected API, started as its lifespan would, and a client calling it."""
    auth = AuthClient(issuer=issuer.issuer, audience=issuer.audience, http_client=http)
    async with auth:
        transport = httpx.ASGITransport(app=build_app(auth))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@pytest.fixture
async def api(issuer: LocalIssuer, http: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(issuer, http) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_reaches_the_route_as_the_principal(
    issuer: LocalIssuer, api: httpx.AsyncClient
) -> None:
    response = await api.get("/me", headers=bearer(issuer.mint("u-1", "b a", email="u@x.io")))

    assert response.status_code == 200
    assert response.json() == {"sub": "u-1", "scope": "a b", "email": "u@x.io"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dTpw"}, {"Authorization": ""}])
async def test_a_request_without_a_bearer_token_is_asked_for_one(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await api.get("/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="resource-service"'
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:gatehouse:problem:missing_token",
        "title": "An access token is required",
        "status": 401,
        "detail": "An access token is required",
        "code": "missing_token",
    }


async def test_a_bad_token_gets_invalid_token_with_a_reason(api: httpx.AsyncClient) -> None:
    response = await api.get("/me", headers=bearer("not-a-jwt"))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="resource-service", error="invalid_token", '
        'error_description="The token is malformed"'
    )
    problem = response.json()
    assert (problem["code"], problem["detail"]) == ("invalid_token", "The token is malformed")


async def test_an_expired_token_says_so(issuer: LocalIssuer, api: httpx.AsyncClient) -> None:
    token = issuer.mint(iat=1_000, nbf=1_000, exp=2_000)

    response = await api.get("/me", headers=bearer(token))

    assert response.status_code == 401
    assert (
        'error_description="The access token has expired"' in response.headers["www-authenticate"]
    )


async def test_a_token_lacking_a_required_scope_is_forbidden_and_told_which(
    issuer: LocalIssuer, api: httpx.AsyncClient
) -> None:
    response = await api.post("/notes", headers=bearer(issuer.mint(scope="notes:read")))

    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="resource-service", error="insufficient_scope", '
        'error_description="This needs the scope notes:read notes:write", '
        'scope="notes:read notes:write"'
    )
    assert response.json()["code"] == "insufficient_scope"


async def test_a_token_with_all_required_scopes_passes(
    issuer: LocalIssuer, api: httpx.AsyncClient
) -> None:
    token = issuer.mint(scope="notes:write notes:read profile")
    response = await api.post("/notes", headers=bearer(token))
    assert response.json() == {"written": True}


@pytest.mark.parametrize(("scope", "status"), [("admin", 200), ("stats:read", 200), ("notes", 403)])
async def test_any_one_of_alternative_scopes_is_enough(
    issuer: LocalIssuer, api: httpx.AsyncClient, scope: str, status: int
) -> None:
    response = await api.get("/stats", headers=bearer(issuer.mint(scope=scope)))

    assert response.status_code == status
    if status == 403:
        assert 'scope="admin stats:read"' in response.headers["www-authenticate"]
        assert response.json()["detail"] == "This needs the scope admin or stats:read"


async def test_when_no_key_can_be_fetched_the_api_answers_503_not_401(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    issuer.available = False

    async with serving(issuer, http) as api:
        response = await api.get("/me", headers=bearer(issuer.mint()))

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "keys_unavailable"


async def test_the_openapi_document_declares_the_bearer_scheme_and_auth_errors(
    api: httpx.AsyncClient,
) -> None:
    document = (await api.get("/openapi.json")).json()

    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert {"401", "403"} <= set(document["paths"]["/me"]["get"]["responses"])


def test_scope_requirements_must_name_a_scope() -> None:
    with pytest.raises(ValueError, match="at least one"):
        require_scopes()
    with pytest.raises(ValueError, match="at least one"):
        require_any_scope()
