"""Refresh sessions: start, rotate (see rotation.py), end, list."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event
from auth_service.audit.service import record as audit
from auth_service.context import AuthContext
from auth_service.errors import NotFound
from auth_service.sessions import repository
from auth_service.sessions.models import LoginSession
from auth_service.sessions.pairs import TokenPair as TokenPair
from auth_service.sessions.pairs import access_token, expiry, mint_refresh, pair
from auth_service.sessions.rotation import rotate as rotate
from auth_service.timeutil import utcnow
from auth_service.tokens import refresh


async def start(
    db: AsyncSession,
    ctx: AuthContext,
    *,
    user_id: uuid.UUID,
    email: str,
    roles: list[str],
    user_agent: str,
    ip: str,
) -> TokenPair:
    now = utcnow()
    iat, jti = int(now.timestamp()), secrets.token_urlsafe(16)
    exp = expiry(ctx, iat, datetime.fromtimestamp(iat, UTC))
    login = LoginSession(
        user_id=user_id,
        created_at=now,
        last_used_at=now,
        expires_at=datetime.fromtimestamp(exp, UTC),
        user_agent=user_agent[:512],
        ip_address=ip[:64],
        current_jti_hash=refresh.jti_hash(jti),
    )
    await repository.add(db, login)
    sid = str(login.id)
    token = mint_refresh(ctx, now, sub=str(user_id), sid=sid, jti=jti, iat=iat, exp=exp)
    issued = access_token(ctx, now, str(user_id), email, roles, sid)
    return pair(ctx, now, sid, token, exp, issued)


async def end_by_token(db: AsyncSession, ctx: AuthContext, token: str | None) -> None:
    """Log-out: the session's tokens become simply invalid (no theft signal)."""
    if not token:
        return
    try:
        claims = refresh.verify(ctx.keys.ring, token, issuer=ctx.settings.issuer)
    except refresh.RefreshTokenExpired as exc:
        sid = exc.sid
    except refresh.RefreshTokenInvalid:
        return
    else:
        sid = claims.sid
    if sid is None:
        return
    await ctx.denylist.revoke_sessions([sid], "logout")
    if await repository.revoke(db, uuid.UUID(sid), "logout", utcnow()):
        await audit(db, Event.LOGOUT, session_id=sid)


async def end_all(db: AsyncSession, ctx: AuthContext, user_id: uuid.UUID) -> int:
    sids = await repository.revoke_all_of_user(db, user_id, "logout_all", utcnow())
    await ctx.denylist.revoke_sessions(sids, "logout_all")
    await audit(
        db,
        Event.LOGOUT_ALL,
        actor=str(user_id),
        subject=str(user_id),
        details={"sessions": len(sids)},
    )
    return len(sids)


async def end_one(db: AsyncSession, ctx: AuthContext, user_id: uuid.UUID, sid: uuid.UUID) -> None:
    if not await repository.revoke(db, sid, "revoked", utcnow(), user_id=user_id):
        raise NotFound("No such session")
    await ctx.denylist.revoke_sessions([str(sid)], "revoked")
    await audit(db, Event.SESSION_REVOKED, actor=str(user_id), session_id=str(sid))


async def list_live(db: AsyncSession, user_id: uuid.UUID) -> list[LoginSession]:
    return await repository.live_of_user(db, user_id, utcnow())
