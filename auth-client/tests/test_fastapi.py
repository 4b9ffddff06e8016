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

    @app.get("/stats/mine", dependencies=[Depends(require_scopes("notes:read"))])
    async def my_stats(principal: CurrentPrincipal, reader: StatsReader) -> dict[str, str]:
        return {"principal": principal.sub, "reader": reader.sub}

    @app.get("/public")
    async def public() -> dict[str, bool]:
        return {"public": True}

    return app


@asynccontextmanager
async def serving(
    issuer: LocalIssuer, http: httpx.AsyncClient, auth: AuthClient | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The protected API, started as its lifespan would, and a client calling it."""
    auth = auth or AuthClient(issuer=issuer.issuer, audience=issuer.audience, http_client=http)
    async with auth:
        transport = httpx.ASGITransport(app=build_app(auth))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@pytest.fixture
async def api(issuer: LocalIssuer, http: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(issuer, http) as client:
        yield client


@pytest.fixture
def auth(issuer: LocalIssuer, http: httpx.AsyncClient) -> AuthClient:
    return AuthClient(issuer=issuer.issuer, audience=issuer.audience, http_client=http)


def verifications(auth: AuthClient) -> int:
    """How many times the client was asked to verify a token (its cache counts each ask)."""
    assert auth.token_cache is not None
    return auth.token_cache.hits + auth.token_cache.misses


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


async def test_a_token_is_verified_once_per_request_however_many_dependencies_ask(
    issuer: LocalIssuer, http: httpx.AsyncClient, auth: AuthClient
) -> None:
    token = issuer.mint("u-1", "notes:read stats:read")
    async with serving(issuer, http, auth) as api:
        first = await api.get("/stats/mine", headers=bearer(token))
        after_first = verifications(auth)
        second = await api.get("/stats/mine", headers=bearer(token))

    assert first.json() == second.json() == {"principal": "u-1", "reader": "u-1"}
    assert (after_first, verifications(auth)) == (1, 2)


async def test_a_refused_token_is_verified_once_and_answered_by_the_first_check(
    issuer: LocalIssuer, http: httpx.AsyncClient, auth: AuthClient
) -> None:
    async with serving(issuer, http, auth) as api:
        response = await api.get("/stats/mine", headers=bearer("not-a-jwt"))

    assert response.status_code == 401
    assert response.json()["detail"] == "The token is malformed"
    assert verifications(auth) == 1


async def test_each_scope_requirement_of_a_route_is_enforced_with_the_same_answer(
    issuer: LocalIssuer, api: httpx.AsyncClient
) -> None:
    token = issuer.mint("u-1", "stats:read")  # the reader's scope, not the route's notes:read

    response = await api.get("/stats/mine", headers=bearer(token))

    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="resource-service", error="insufficient_scope", '
        'error_description="This needs the scope notes:read", scope="notes:read"'
    )
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:gatehouse:problem:insufficient_scope",
        "title": "The token lacks a required scope",
        "status": 403,
        "detail": "This needs the scope notes:read",
        "code": "insufficient_scope",
    }


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-jwt"}])
async def test_a_public_route_verifies_no_token(
    issuer: LocalIssuer, http: httpx.AsyncClient, auth: AuthClient, headers: dict[str, str]
) -> None:
    async with serving(issuer, http, auth) as api:
        response = await api.get("/public", headers=headers)

    assert response.json() == {"public": True}
    assert verifications(auth) == 0


async def test_the_openapi_document_asks_for_the_bearer_token_where_a_route_needs_it(
    api: httpx.AsyncClient,
) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]

    for path in ("/me", "/notes", "/stats", "/stats/mine"):
        operation = next(iter(paths[path].values()))
        assert operation["security"] == [{"BearerToken": []}], path
    assert "security" not in paths["/public"]["get"]


def test_scope_requirements_must_name_a_scope() -> None:
    with pytest.raises(ValueError, match="at least one"):
        require_scopes()
    with pytest.raises(ValueError, match="at least one"):
        require_any_scope()
