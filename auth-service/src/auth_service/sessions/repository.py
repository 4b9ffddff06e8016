from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from service_kit.db import fetchrow
from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.models import AuditEvent
from auth_service.sessions.models import LoginSession

_SESSION_ROW = (
    "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, auth_time, amr, "
    "user_agent, ip_address, current_jti_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)
_INSERT = _SESSION_ROW
_INSERT_WITH_EVENT = (
    "WITH s AS (" + _SESSION_ROW + ") INSERT INTO audit_events (at, event, actor, subject, "
    "session_id, ip_address, request_id, details) "
    "VALUES ($11, $12, $13, $14, $15, $16, $17, $18::jsonb)"
)


async def add(db: AsyncSession, login: LoginSession, event: AuditEvent | None = None) -> None:
    """The new session's row, and with `event` its audit event, in one prepared statement
    (`service_kit.db.fetchrow`): inside the request's transaction when one is open, else a
    statement of its own, which PostgreSQL makes atomic (both rows or neither)."""
    args: list[Any] = [
        login.id,
        login.user_id,
        login.created_at,
        login.last_used_at,
        login.expires_at,
        login.auth_time,
        login.amr,
        login.user_agent,
        login.ip_address,
        login.current_jti_hash,
    ]
    if event is None:
        await fetchrow(db, _INSERT, *args)
        return
    args += [event.at, event.event, event.actor, event.subject, event.session_id]
    args += [event.ip_address, event.request_id, json.dumps(event.details)]
    await fetchrow(db, _INSERT_WITH_EVENT, *args)


_ADVANCE = (
    "UPDATE sessions s SET current_jti_hash = $1, previous_jti_hash = $2, "
    "rotated_at = $3, last_used_at = $3, "
    "expires_at = LEAST($4, s.created_at + $5) "
    "FROM users u WHERE s.id = $6 AND u.id = s.user_id AND s.revoked_at IS NULL "
    "AND (s.current_jti_hash = $2 OR s.current_jti_hash IS NULL) "
    "AND s.created_at + $5 > $3 AND s.client_id IS NOT DISTINCT FROM $7 "
    "RETURNING s.created_at, u.id, u.email, u.roles, u.email_verified, s.auth_time, s.amr, "
    "s.client_id, s.scope"
)


async def advance(
    db: AsyncSession,
    sid: uuid.UUID,
    *,
    spent_hash: str,
    successor_hash: str,
    now: datetime,
    idle_expiry: datetime,
    max_lifetime: timedelta,
    client_id: str | None = None,
) -> Any | None:
    """Moves the rotation ledger forward, only from the current token of a live session.

    One conditional statement: of any number of racing requests exactly one gets a row
    back (created_at, then the user and the session's proof: user id, email, roles,
    email_verified, auth_time, amr; then the client and scope of an application's family);
    the others get None. A token of one client never moves another's (or the browser's).
    A session of before the ledger (no current hash yet) adopts the token it is first
    refreshed with.

    Sent as asyncpg's own prepared statement (`service_kit.db.fetchrow`): outside a
    transaction when it is the request's first statement, which saves BEGIN and COMMIT.
    """
    return await fetchrow(
        db, _ADVANCE, successor_hash, spent_hash, now, idle_expiry, max_lifetime, sid, client_id
    )


async def ledger_of(db: AsyncSession, sid: uuid.UUID) -> Any | None:
    """The session's rotation ledger and its user, as committed (READ COMMITTED)."""
    result = await db.exec(
        text(  # type: ignore[call-overload]
            "SELECT s.created_at, s.revoked_at, s.current_jti_hash, s.previous_jti_hash, "
            "s.rotated_at, u.id, u.email, u.roles, u.email_verified, s.auth_time, s.amr, "
            "s.client_id, s.scope "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = :sid"
        ),
        params={"sid": sid},
    )
    return result.first()


async def current_jti_hash(db: AsyncSession, sid: uuid.UUID) -> str | None:
    """The hash of the id of the session's live refresh token (None: no such session)."""
    query = select(LoginSession.current_jti_hash).where(col(LoginSession.id) == sid)
    return (await db.exec(query)).first()


async def revoke(
    db: AsyncSession,
    sid: uuid.UUID,
    reason: str,
    now: datetime,
    user_id: uuid.UUID | None = None,
) -> bool:
    query = (
        update(LoginSession)
        .where(col(LoginSession.id) == sid, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    if user_id is not None:
        query = query.where(col(LoginSession.user_id) == user_id)
    result = await db.exec(query)
    return bool(result.rowcount)


async def revoke_all_of_user(
    db: AsyncSession,
    user_id: uuid.UUID,
    reason: str,
    now: datetime,
    keep: uuid.UUID | None = None,
) -> list[str]:
    query = update(LoginSession).where(
        col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(LoginSession.id) != keep)
    result = await db.exec(
        query.values(revoked_at=now, revoked_reason=reason).returning(col(LoginSession.id))
    )
    return [str(row[0]) for row in result.all()]


async def prove_again(
    db: AsyncSession, sid: uuid.UUID, user_id: uuid.UUID, now: datetime, amr: list[str]
) -> LoginSession | None:
    """The user proved who they are again in this live session: a fresh `auth_time`."""
    result = await db.exec(
        update(LoginSession)
        .where(
            col(LoginSession.id) == sid,
            col(LoginSession.user_id) == user_id,
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > now,
        )
        .values(auth_time=now, amr=amr)
        .returning(LoginSession)
    )
    return result.scalars().first()


async def live_of_user(db: AsyncSession, user_id: uuid.UUID, now: datetime) -> list[LoginSession]:
    query = (
        select(LoginSession)
        .where(
            col(LoginSession.user_id) == user_id,
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > now,
            col(LoginSession.client_id).is_(None),  # applications' grants are listed apart
        )
        .order_by(col(LoginSession.last_used_at).desc())
    )
    return list((await db.exec(query)).all())


async def get(db: AsyncSession, sid: uuid.UUID) -> LoginSession | None:
    return await db.get(LoginSession, sid)


async def revoked_since(db: AsyncSession, since: datetime) -> list[tuple[str, str]]:
    """(id, reason) of the sessions revoked at or after `since`."""
    result = await db.exec(
        select(LoginSession.id, LoginSession.revoked_reason).where(
            col(LoginSession.revoked_at) >= since
        )
    )
    return [(str(sid), reason or "revoked") for sid, reason in result.all()]


_FAMILY = (
    "INSERT INTO sessions (id, user_id, client_id, scope, created_at, last_used_at, "
    "expires_at, auth_time, amr, user_agent, ip_address, current_jti_hash) "
    "VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, '', '', $9)"
)


async def add_family(db: AsyncSession, login: LoginSession) -> None:
    """An application's token family (a session row with its client and scope)."""
    await fetchrow(
        db,
        _FAMILY,
        login.id,
        login.user_id,
        login.client_id,
        login.scope,
        login.created_at,
        login.expires_at,
        login.auth_time,
        login.amr,
        login.current_jti_hash,
    )
