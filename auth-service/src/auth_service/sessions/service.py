"""Refresh sessions: start, rotate (with grace and reuse detection), end."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record_now
from auth_service.audit.service import record as audit
from auth_service.context import AuthContext
from auth_service.errors import InvalidRefreshToken, NotFound, RefreshTokenReused
from auth_service.sessions import repository
from auth_service.sessions.denylist import Verdict
from auth_service.sessions.models import LoginSession
from auth_service.sessions.outcomes import RefreshOutcome, record
from auth_service.timeutil import utcnow
from auth_service.tokens import access, refresh
from auth_service.users.service import scope_of


@dataclass(frozen=True)
class TokenPair:
    sid: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_max_age: int


def _access_token(
    ctx: AuthContext, now: datetime, user_id: str, email: str, roles: list[str], sid: str
) -> str:
    s = ctx.settings
    return access.issue(
        ctx.keys.ring,
        issuer=s.issuer,
        audience=s.audience,
        ttl=s.access_token_ttl,
        now=now,
        sub=user_id,
        scope=scope_of(roles),
        client_id=s.web_client_id,
        sid=sid,
        email=email,
    )


def _pair(
    ctx: AuthContext,
    now: datetime,
    sid: str,
    refresh_token: str,
    refresh_exp: int,
    access_token: str,
) -> TokenPair:
    return TokenPair(
        sid=sid,
        access_token=access_token,
        expires_in=ctx.settings.access_token_ttl,
        refresh_token=refresh_token,
        refresh_max_age=max(0, refresh_exp - int(now.timestamp())),
    )


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
    ttl = ctx.settings.refresh_token_ttl
    login = LoginSession(
        user_id=user_id,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=ttl),
        user_agent=user_agent[:512],
        ip_address=ip[:64],
    )
    await repository.add(db, login)
    sid, iat = str(login.id), int(now.timestamp())
    token = refresh.mint(
        ctx.keys.ring,
        issuer=ctx.settings.issuer,
        ttl=ttl,
        now=now,
        sub=str(user_id),
        sid=sid,
        jti=secrets.token_urlsafe(16),
        iat=iat,
    )
    return _pair(
        ctx, now, sid, token, iat + ttl, _access_token(ctx, now, str(user_id), email, roles, sid)
    )


async def _end_for_reuse(ctx: AuthContext, sid: str) -> None:
    # Its own transaction: the request fails with 401, but the revocation must stay.
    async with ctx.sessions() as db, db.begin():
        await repository.revoke(db, uuid.UUID(sid), "reuse", utcnow())


async def rotate(db: AsyncSession, ctx: AuthContext, token: str | None) -> TokenPair:
    """Spend `token` and return its one successor (the same one for a replay in the grace)."""
    s = ctx.settings
    if not token:
        record(ctx.metrics, RefreshOutcome.INVALID, None)
        raise InvalidRefreshToken("No session: log in")
    try:
        claims = refresh.verify(ctx.keys.ring, token, issuer=s.issuer)
    except refresh.RefreshTokenExpired as exc:
        record(ctx.metrics, RefreshOutcome.EXPIRED, exc.sid)
        raise InvalidRefreshToken("The session has expired: log in again") from exc
    except refresh.RefreshTokenInvalid as exc:
        record(ctx.metrics, RefreshOutcome.INVALID, None)
        raise InvalidRefreshToken("The session is not valid: log in") from exc

    now = utcnow()
    decision = await ctx.denylist.spend(
        jti=claims.jti,
        sid=claims.sid,
        new_jti=secrets.token_urlsafe(16),
        token_exp_ms_left=max(0, claims.exp * 1000 - int(now.timestamp() * 1000)),
    )
    if decision.verdict is Verdict.REUSE:
        await _end_for_reuse(ctx, claims.sid)
        await record_now(
            ctx.sessions,
            Event.REFRESH_REUSE,
            actor=claims.sub,
            subject=claims.sub,
            session_id=claims.sid,
        )
        record(ctx.metrics, RefreshOutcome.REUSE_REVOKED, claims.sid)
        raise RefreshTokenReused("This session token was used twice; the session was ended")
    if decision.verdict is Verdict.REVOKED:
        record(ctx.metrics, RefreshOutcome.LOGGED_OUT, claims.sid)
        raise InvalidRefreshToken("The session has ended: log in again")

    assert decision.successor_jti is not None and decision.successor_iat is not None
    successor_exp = decision.successor_iat + s.refresh_token_ttl
    live = await repository.touch_live(
        db, uuid.UUID(claims.sid), now, datetime.fromtimestamp(successor_exp, now.tzinfo)
    )
    if live is None:  # revoked in PostgreSQL while Redis forgot it (e.g. after a Redis loss)
        await ctx.denylist.revoke_sessions([claims.sid], "revoked")
        record(ctx.metrics, RefreshOutcome.LOGGED_OUT, claims.sid)
        raise InvalidRefreshToken("The session has ended: log in again")
    user_id, email, roles = live
    successor = refresh.mint(
        ctx.keys.ring,
        issuer=s.issuer,
        ttl=s.refresh_token_ttl,
        now=now,
        sub=claims.sub,
        sid=claims.sid,
        jti=decision.successor_jti,
        iat=decision.successor_iat,
    )
    outcome = (
        RefreshOutcome.ROTATED
        if decision.verdict is Verdict.ROTATED
        else RefreshOutcome.GRACE_REPLAY
    )
    record(ctx.metrics, outcome, claims.sid)
    return _pair(
        ctx,
        now,
        claims.sid,
        successor,
        successor_exp,
        _access_token(ctx, now, str(user_id), email, list(roles), claims.sid),
    )


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
