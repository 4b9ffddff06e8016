"""Authorization requests, stored between the authorization endpoint and the decision
(PostgreSQL, by the hash of an opaque id: 32 random bytes the browser carries)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from service_kit.db import fetchrow
from sqlmodel.ext.asyncio.session import AsyncSession

REQUEST_TTL = timedelta(minutes=10)
PAR_TTL = timedelta(seconds=60)
PAR_PREFIX = "urn:ietf:params:oauth:request_uri:"


def _json(value: Any) -> Any:
    """A jsonb value as the driver gives it: text, or already decoded (a codec is set)."""
    return value if value is None or isinstance(value, dict) else json.loads(value)


def _hash(request_id: str) -> str:
    return hashlib.sha256(request_id.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    state: str | None = None
    nonce: str | None = None
    response_mode: str = "query"
    prompt: list[str] = field(default_factory=list)
    max_age: int | None = None
    login_hint: str | None = None
    pushed: bool = False  # a PAR entry, not yet an authorization request


@dataclass(frozen=True)
class Stored:
    request: AuthorizationRequest
    created_at: datetime
    response: dict[str, str] | None


async def store(
    db: AsyncSession, request: AuthorizationRequest, now: datetime, ttl: timedelta
) -> str:
    request_id = secrets.token_urlsafe(32)
    await fetchrow(
        db,
        "INSERT INTO oidc_requests (id_hash, client_id, params, created_at, expires_at) "
        "VALUES ($1, $2, $3::jsonb, $4, $5)",
        _hash(request_id),
        request.client_id,
        json.dumps(asdict(request)),
        now,
        now + ttl,
    )
    return request_id


async def load(db: AsyncSession, request_id: str, now: datetime) -> Stored | None:
    if len(request_id) > 100:
        return None
    row: Any = await fetchrow(
        db,
        "SELECT params, created_at, response FROM oidc_requests "
        "WHERE id_hash = $1 AND expires_at > $2",
        _hash(request_id),
        now,
    )
    if row is None:
        return None
    return Stored(AuthorizationRequest(**_json(row[0])), row[1], _json(row[2]))


async def take(
    db: AsyncSession, request_id: str, now: datetime, *, answered: bool = False
) -> Stored | None:
    """Loads and deletes in one statement: of racing takers only one gets it. `answered`:
    only a request whose form_post answer waits."""
    if len(request_id) > 100:
        return None
    result = await db.exec(  # type: ignore[call-overload]
        sa.text(
            "DELETE FROM oidc_requests WHERE id_hash = :h AND expires_at > :now "
            "AND (response IS NOT NULL OR NOT :answered) "
            "RETURNING params, created_at, response"
        ),
        params={"h": _hash(request_id), "now": now, "answered": answered},
    )
    row = result.first()
    if row is None:
        return None
    return Stored(AuthorizationRequest(**_json(row[0])), row[1], _json(row[2]))


async def answer_later(
    db: AsyncSession, request_id: str, response: dict[str, str], now: datetime
) -> None:
    """Keeps a form_post answer for the one-time page that sends it (its last minute)."""
    await fetchrow(
        db,
        "UPDATE oidc_requests SET response = $2::jsonb, expires_at = $3 WHERE id_hash = $1",
        _hash(request_id),
        json.dumps(response),
        now + timedelta(seconds=60),
    )


async def forget(db: AsyncSession, request_id: str) -> None:
    await fetchrow(db, "DELETE FROM oidc_requests WHERE id_hash = $1", _hash(request_id))


async def prune(db: AsyncSession, now: datetime) -> None:
    """Authorization and pushed requests past their life: nothing reads them any more."""
    await fetchrow(db, "DELETE FROM oidc_requests WHERE expires_at < $1", now)
