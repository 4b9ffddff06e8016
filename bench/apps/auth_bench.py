"""The auth service exactly as it ships (its own `create_app()`), plus endpoints that
exist only for the benchmark: `POST /api/auth/bench/introspect` `{"token": ...}`, an
RFC 7662-style introspection answering `{"active": true, <claims>}` or `{"active": false}`.

It checks a token the way the auth service checks its own Bearer endpoints (signature and
claims, then the session's revocation in Redis): what a resource server that "asks the auth
service on every request" would get. Run: `uvicorn bench.apps.auth_bench:create_app --factory`.

Two more, each a shipped endpoint as a plain Starlette endpoint:
- `POST /api/auth/bench/refresh-plain`: `POST /refresh` (the same CSRF check, the same
  `SessionsService.rotate`, one transaction, the same body and cookie);
- `POST /api/auth/bench/token-plain`: the client-credentials grant of `POST /oauth/token`
  (the same form and Basic parsing, the same `OAuthService.grant`, one transaction, the
  same answer);
neither has a FastAPI dependency or route machinery: what FastAPI's per-request work costs.

It can also try changes to the auth service, each off unless its variable is set, so that
their gain is measured rather than guessed (AUTH_ACCESS_LOG=false, an existing setting, drops
the per-request access line):
- BENCH_ROTATION_WITHOUT_POSTGRES=1: a rotation's conditional UPDATE is sent to PostgreSQL
  once per session and its row reused afterwards: what a rotation would cost if Redis alone
  decided it and PostgreSQL were written later (a design change; the bench's what-if only).
- BENCH_ROTATION_WITHOUT_REDIS=1: a rotation asks Redis nothing (no read of the session's
  revoked mark before the UPDATE): what its one round trip costs.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from auth_client import InvalidTokenError
from auth_service.app import PREFIX
from auth_service.app import create_app as create_service_app
from auth_service.deps import SessionEndsDep, SettingsDep, VerifierDep
from auth_service.http.clientip import client_ip
from auth_service.http.cookies import REFRESH_COOKIE, refresh_cookie
from auth_service.http.csrf import check_cookie_request
from auth_service.oauth.router import _client_credentials, error_response, read_form
from auth_service.oauth.service import OAuthError
from auth_service.registry import Registry
from auth_service.sessions import repository
from auth_service.sessions.ledger import Hint, RotationLedger
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from service_kit.db import transaction
from sqlmodel.ext.asyncio.session import AsyncSession


class IntrospectionRequest(BaseModel):
    token: str


def _advance_once_per_session() -> None:
    real = repository.advance
    rows: dict[uuid.UUID, Any] = {}

    async def advance(db: AsyncSession, sid: uuid.UUID, **kwargs: Any) -> Any | None:
        if sid not in rows:
            rows[sid] = await real(db, sid, **kwargs)
        return rows[sid]

    repository.advance = advance  # type: ignore[assignment]


async def token_plain(request: Request) -> Response:
    """`POST /oauth/token` without FastAPI's machinery (errors other than OAuthError, such
    as a rate limit, are left to the app's handlers: the bench sends none)."""
    state: Registry = request.state.registry
    try:
        form = await read_form(request)
        client_id, secret = _client_credentials(request, form)
        async with transaction(state.sessionmaker) as db:
            granted = await state.oauth.grant(
                db,
                grant_type=form.get("grant_type"),
                client_id=client_id,
                secret=secret,
                scope=form.get("scope", ""),
                ip=client_ip(request, state.settings.trusted_networks),
            )
    except OAuthError as error:
        return error_response(error)
    body = {
        "access_token": granted.access_token,
        "token_type": "Bearer",
        "expires_in": granted.expires_in,
        "scope": granted.scope,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _rotation_without_redis() -> None:
    async def hint(self: RotationLedger, *, jti: str, sid: str) -> Hint:
        return Hint(revoked_reason=None, spent_at_ms=None)

    RotationLedger.hint = hint  # type: ignore[method-assign]


async def refresh_plain(request: Request) -> Response:
    """`POST /refresh` without FastAPI's machinery (refusals are left to the app's handlers
    for AppError: the bench presents only live tokens)."""
    state: Registry = request.state.registry
    check_cookie_request(request, state.settings)
    async with transaction(state.sessionmaker) as db:
        pair = await state.sessions.rotate(db, request.cookies.get(REFRESH_COOKIE))
    body = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
    }
    response = JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
    response.headers.append(
        "set-cookie", refresh_cookie(state.settings, pair.refresh_token, pair.refresh_max_age)
    )
    return response


def create_app() -> FastAPI:
    if os.environ.get("BENCH_ROTATION_WITHOUT_POSTGRES"):
        _advance_once_per_session()
    if os.environ.get("BENCH_ROTATION_WITHOUT_REDIS"):
        _rotation_without_redis()
    app = create_service_app()

    @app.post(f"{PREFIX}/bench/introspect")
    async def introspect(
        body: IntrospectionRequest,
        verifier: VerifierDep,
        sessions: SessionEndsDep,
        settings: SettingsDep,
    ) -> dict[str, Any]:
        try:
            principal = await verifier.verify(body.token)
        except InvalidTokenError:
            return {"active": False}
        if principal.sid is not None and await sessions.has_ended(principal.sid):
            return {"active": False}
        return {
            "active": True,
            "iss": settings.issuer,
            "aud": settings.audience,
            **dict(principal.claims),
        }

    app.add_route(f"{PREFIX}/bench/token-plain", token_plain, methods=["POST"])
    app.add_route(f"{PREFIX}/bench/refresh-plain", refresh_plain, methods=["POST"])
    return app
