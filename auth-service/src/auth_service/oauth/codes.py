"""Authorization codes (RFC 6749 §4.1, OAuth 2.1): PostgreSQL keeps them, by hash.

A code is redeemed by one conditional UPDATE that counts its uses under the row's lock:
of any number of racing exchanges exactly one sees `uses = 1`; the others wait for its
transaction (the lock) and then see more, so they find the token family it created
committed and end it (RFC 6749 §4.1.2: a code used twice revokes what it issued). The
family's session id is chosen with the code, so a loser never needs the winner's answer.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from service_kit.db import fetchrow
from sqlmodel.ext.asyncio.session import AsyncSession

CODE_TTL = timedelta(seconds=60)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class CodeGrant:
    """What the person allowed, as the code carries it to the token endpoint."""

    client_id: str
    user_id: uuid.UUID
    browser_sid: uuid.UUID
    redirect_uri: str
    code_challenge: str
    scope: str
    nonce: str | None
    auth_time: datetime
    amr: list[str]


@dataclass(frozen=True, kw_only=True)
class Redeemed:
    grant: CodeGrant
    family_sid: uuid.UUID
    expires_at: datetime
    first_use: bool


_INSERT = (
    "INSERT INTO oidc_codes (code_hash, client_id, user_id, browser_sid, family_sid, "
    "redirect_uri, code_challenge, scope, nonce, auth_time, amr, expires_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
)
_REDEEM = sa.text(
    "UPDATE oidc_codes SET uses = uses + 1 WHERE code_hash = :hash RETURNING uses, client_id, "
    "user_id, browser_sid, family_sid, redirect_uri, code_challenge, scope, nonce, "
    "auth_time, amr, expires_at"
)


async def issue(db: AsyncSession, grant: CodeGrant, now: datetime) -> str:
    code = secrets.token_urlsafe(32)
    await fetchrow(
        db,
        _INSERT,
        _hash(code),
        grant.client_id,
        grant.user_id,
        grant.browser_sid,
        uuid.uuid4(),
        grant.redirect_uri,
        grant.code_challenge,
        grant.scope,
        grant.nonce,
        grant.auth_time,
        grant.amr,
        now + CODE_TTL,
    )
    return code


async def redeem(db: AsyncSession, code: str) -> Redeemed | None:
    """Counts a use of the code (None: no such code); waits for a racing redeemer's commit.

    Through SQLAlchemy, not a bare driver statement: it must open the request's transaction,
    so the row stays locked until the token family it leads to is committed."""
    if len(code) > 200:
        return None
    result = await db.exec(_REDEEM, params={"hash": _hash(code)})  # type: ignore[call-overload]
    row: Any = result.first()
    if row is None:
        return None
    grant = CodeGrant(
        client_id=row[1],
        user_id=row[2],
        browser_sid=row[3],
        redirect_uri=row[5],
        code_challenge=row[6],
        scope=row[7],
        nonce=row[8],
        auth_time=row[9],
        amr=list(row[10]),
    )
    return Redeemed(grant=grant, family_sid=row[4], expires_at=row[11], first_use=row[0] == 1)


async def prune(db: AsyncSession, now: datetime) -> None:
    """Codes past their life plus a day: a late reuse is still recognised for that long."""
    await fetchrow(db, "DELETE FROM oidc_codes WHERE expires_at < $1", now - timedelta(days=1))
