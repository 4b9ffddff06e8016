"""The resource service exactly as it ships (its own `create_app()`), plus two routes that
exist only for the benchmark, so that every figure of items 1 and 2 comes from one
process under one configuration:

- `GET /api/resource/bench/anonymous`: the unauthenticated twin of `GET /me`. Same app, same
  middleware, same response model and body shape; only the bearer dependency is missing.
- `GET /api/resource/bench/me-plain`: the same check and answer as a plain Starlette
  endpoint: no FastAPI dependency, no response model (what FastAPI's machinery costs).
- `GET /api/resource/bench/introspected-me`: `GET /me` as a service would do it by asking the
  auth service about the token on every request (an RFC 7662-style introspection call, to
  the bench-only endpoint of `bench.apps.auth_bench`, URL in BENCH_INTROSPECTION_URL) instead
  of verifying it locally.

Run: `uvicorn bench.apps.resource_bench:create_app --factory` with the service's RESOURCE_*
settings.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from auth_client import AuthClient, Principal
from auth_client.errors import AuthError, InvalidTokenError, MissingTokenError
from auth_client.fastapi import AUTH_RESPONSES, auth_error_response
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from resource_service.app import PREFIX
from resource_service.app import create_app as create_service_app
from resource_service.identity.router import Identity

_bearer = HTTPBearer(auto_error=False)

# What the twin answers: the same fields /me returns for a user's token.
_ANONYMOUS = Identity(
    sub="00000000-0000-4000-8000-000000000000",
    email="bench@example.com",
    scope="email openid profile",
    sid="00000000-0000-4000-8000-000000000001",
    client_id="gatehouse-web",
)


async def introspected_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Ask the auth service whether the token is active (no local verification at all)."""
    if credentials is None:
        raise MissingTokenError()
    http: httpx.AsyncClient = request.app.state.bench_http
    answer = await http.post(
        request.app.state.bench_introspection_url, json={"token": credentials.credentials}
    )
    answer.raise_for_status()
    claims: dict[str, Any] = answer.json()
    if not claims.get("active"):
        raise InvalidTokenError("The token is not active")
    return Principal.from_claims(claims)


async def me_plain(request: Request) -> Response:
    """`GET /me` without FastAPI: the header read, the token verified, the JSON written."""
    client: AuthClient = request.app.state.auth_client
    try:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise MissingTokenError()
        principal = await client.verify(token)
    except AuthError as exc:
        return auth_error_response(exc, client.realm)
    request.state.principal = principal
    body = {
        "sub": principal.sub,
        "email": principal.email,
        "scope": principal.scope,
        "sid": principal.sid,
        "client_id": principal.client_id,
    }
    return JSONResponse(body)


def create_app() -> FastAPI:
    app = create_service_app()
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with (
            service_lifespan(app) as state,
            httpx.AsyncClient(limits=limits, timeout=10.0) as http,
        ):
            app.state.bench_http = http
            app.state.bench_introspection_url = os.environ.get("BENCH_INTROSPECTION_URL", "")
            yield state

    app.router.lifespan_context = lifespan

    @app.get(f"{PREFIX}/bench/anonymous", response_model=Identity)
    async def anonymous() -> Identity:
        return _ANONYMOUS

    app.add_route(f"{PREFIX}/bench/me-plain", me_plain, methods=["GET"])

    @app.get(f"{PREFIX}/bench/introspected-me", response_model=Identity, responses=AUTH_RESPONSES)
    async def introspected_me(
        principal: Annotated[Principal, Depends(introspected_principal)],
    ) -> Identity:
        return Identity(
            sub=principal.sub,
            email=principal.email,
            scope=principal.scope,
            sid=principal.sid,
            client_id=principal.client_id,
        )

    return app
