"""The auth service exactly as it ships (its own `create_app()`), plus one endpoint that
exists only for the benchmark: `POST /api/auth/bench/introspect` `{"token": ...}`, an
RFC 7662-style introspection answering `{"active": true, <claims>}` or `{"active": false}`.

It checks a token the way the auth service checks its own Bearer endpoints (signature and
claims, then the session's revocation in Redis): what a resource server that "asks the auth
service on every request" would get. Run: `uvicorn bench.apps.auth_bench:create_app --factory`.

It can also try changes we recommend to the auth service, each off unless its variable is
set, so that their gain is measured rather than guessed:
- BENCH_LEAN_REQUESTS=1: no "pre-ping" round trip to PostgreSQL on every connection checkout
  (`pool_pre_ping=False`), and the `get_context` dependency as `async def`, so FastAPI does
  not hop to a worker thread for it on every request. (AUTH_ACCESS_LOG=false, an existing
  setting, drops the per-request access line.)
"""

from __future__ import annotations

import os
from typing import Any

from auth_service.app import PREFIX
from auth_service.app import create_app as create_service_app
from auth_service.context import AuthContext
from auth_service.deps import ContextDep, get_context
from auth_service.errors import InvalidToken
from auth_service.timeutil import utcnow
from auth_service.tokens import access
from fastapi import FastAPI, Request
from pydantic import BaseModel
from service_kit import db
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


class IntrospectionRequest(BaseModel):
    token: str


def _engine_without_pre_ping(
    url: str, pool_size: int = 10, pool_timeout: float = 30.0
) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        pool_pre_ping=False,
        pool_recycle=1800,
    )


async def _context_inline(request: Request) -> AuthContext:
    context: AuthContext = request.app.state.context
    return context


def create_app() -> FastAPI:
    lean = bool(os.environ.get("BENCH_LEAN_REQUESTS"))
    if lean:
        db.create_engine = _engine_without_pre_ping  # read by the app's lifespan at start-up
    app = create_service_app()
    if lean:
        app.dependency_overrides[get_context] = _context_inline

    @app.post(f"{PREFIX}/bench/introspect")
    async def introspect(body: IntrospectionRequest, ctx: ContextDep) -> dict[str, Any]:
        s = ctx.settings
        try:
            claims = access.verify(
                ctx.keys.ring, body.token, issuer=s.issuer, audience=s.audience, now=utcnow()
            )
        except InvalidToken:
            return {"active": False}
        if claims.sid is not None and await ctx.denylist.revoked_reason(claims.sid) is not None:
            return {"active": False}
        return {
            "active": True,
            "iss": s.issuer,
            "aud": s.audience,
            "sub": claims.sub,
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sid": claims.sid,
            "email": claims.email,
            "exp": claims.exp,
        }

    return app
