from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.sessions.models import LoginSession


async def add(session: AsyncSession, login: LoginSession) -> None:
    session.add(login)
    await session.flush()


async def touch_live(
    session: AsyncSession, sid: uuid.UUID, now: datetime, expires_at: datetime
) -> Any | None:
    """Mark a live session used; returns its user's (id, email, roles), or None if revoked."""
    result = await session.exec(
        text(  # type: ignore[call-overload]
            "UPDATE sessions s SET last_used_at = :now, expires_at = :expires_at "
            "FROM users u WHERE s.id = :sid AND s.revoked_at IS NULL AND u.id = s.user_id "
            "RETURNING u.id, u.email, u.roles"
        ),
        params={"sid": sid, "now": now, "expires_at": expires_at},
    )
    return result.first()


async def revoke(
    session: AsyncSession,
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
    result = await session.exec(query)
    return bool(result.rowcount)


async def revoke_all_of_user(
    session: AsyncSession, user_id: uuid.UUID, reason: str, now: datetime
) -> list[str]:
    result = await session.exec(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(col(LoginSession.id))
    )
    return [str(row[0]) for row in result.all()]


async def live_of_user(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> list[LoginSession]:
    query = (
        select(LoginSession)
        .where(
            col(LoginSession.user_id) == user_id,
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > now,
        )
        .order_by(col(LoginSession.last_used_at).desc())
    )
    return list((await session.exec(query)).all())


async def get(session: AsyncSession, sid: uuid.UUID) -> LoginSession | None:
    return await session.get(LoginSession, sid)
