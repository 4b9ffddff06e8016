"""Initial access tokens (RFC 7591 §3): what an administrator hands an application's
developer so that it may register itself when AUTH_CLIENT_REGISTRATION=token.

As Keycloak's, a token carries a count: it registers up to that many clients (1 by
default: single use) until it expires, whichever comes first. Only its SHA-256 is kept:
it is 256 random bits, so a fast hash is sound (as for client secrets).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from service_kit.db import fetchrow
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit import service as audit
from auth_service.audit.service import Event

DEFAULT_TTL = 86_400  # seconds: a day
MAX_TTL = 30 * 86_400
MAX_COUNT = 1000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once, never stored
    expires_at: datetime
    count: int


async def issue(
    db: AsyncSession, actor: str, now: datetime, expires_in: int = DEFAULT_TTL, count: int = 1
) -> NewToken:
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=expires_in)
    await fetchrow(
        db,
        "INSERT INTO registration_tokens (token_hash, created_by, created_at, expires_at, "
        "max_uses) VALUES ($1, $2, $3, $4, $5)",
        _hash(token),
        actor,
        now,
        expires_at,
        count,
    )
    details = {"token_id": _hash(token)[:12], "expires_at": expires_at.isoformat(), "count": count}
    await audit.record(db, Event.REGISTRATION_TOKEN_CREATED, actor=actor, details=details)
    return NewToken(token, expires_at, count)


async def usable(db: AsyncSession, token: str, now: datetime) -> bool:
    """The token exists, has not expired and has registrations left (nothing is spent)."""
    row = await fetchrow(
        db,
        "SELECT 1 FROM registration_tokens WHERE token_hash = $1 AND expires_at > $2 "
        "AND uses < max_uses",
        _hash(token),
        now,
    )
    return row is not None


async def spend(db: AsyncSession, token: str, now: datetime) -> str | None:
    """Counts one registration on the token, in one statement (of simultaneous
    registrations no more than its count get through): the token's id for the audit
    trail (a prefix of its hash), or None when it is no longer usable."""
    row = await fetchrow(
        db,
        "UPDATE registration_tokens SET uses = uses + 1 WHERE token_hash = $1 "
        "AND expires_at > $2 AND uses < max_uses RETURNING token_hash",
        _hash(token),
        now,
    )
    return None if row is None else str(row[0])[:12]
