"""The auth service exactly as it ships (its own `create_app()`), plus one endpoint that
exists only for the benchmark: `POST /api/auth/bench/introspect` `{"token": ...}`, an
RFC 7662-style introspection answering `{"active": true, <claims>}` or `{"active": false}`.

It checks a token the way the auth service checks its own Bearer endpoints (signature and
claims, then the session's revocation in Redis): what a resource server that "asks the auth
service on every request" would get. Run: `uvicorn bench.apps.auth_bench:create_app --factory`.

It can also try changes to the auth service, each off unless its variable is set, so that
their gain is measured rather than guessed (AUTH_ACCESS_LOG=false, an existing setting, drops
the per-request access line):
- BENCH_ROTATION_WITHOUT_POSTGRES=1: a rotation's conditional UPDATE is sent to PostgreSQL
  once per session and its row reused afterwards: what a rotation would cost if Redis alone
  decided it and PostgreSQL were written later (a design change; the bench's what-if only).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from auth_client import InvalidTokenError
from auth_service.app import PREFIX
from auth_service.app import create_app as create_service_app
from auth_service.deps import SessionEndsDep, SettingsDep, VerifierDep
from auth_service.sessions import repository
from fastapi import FastAPI
from pydantic import BaseModel
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


def create_app() -> FastAPI:
    if os.environ.get("BENCH_ROTATION_WITHOUT_POSTGRES"):
        _advance_once_per_session()
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

    return app
