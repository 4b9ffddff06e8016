"""Refresh sessions: start, rotate (with grace and reuse detection), end."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event
from auth_service.audit.service import record as audit
from auth_service.context import AuthContext
from auth_service.errors import AppError, InvalidRefreshToken, NotFound, RefreshTokenReused
from auth_service.sessions import repository
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


def _expiry(ctx: AuthContext, iat: int, created_at: datetime) -> int:
    """A refresh token's `exp`: idle lifetime from `iat`, never past the absolute one."""
    s = ctx.settings
    return min(iat + s.refresh_token_ttl, int(created_at.timestamp()) + s.session_max_lifetime)


def _mint(
    ctx: AuthContext, at: datetime, *, sub: str, sid: str, jti: str, iat: int, exp: int
) -> str:
    # Signed by the key active at `at` (the rotation time): a grace replay re-mints the same.
    s = ctx.settings
    return refresh.mint(
        ctx.keys.ring, issuer=s.issuer, ttl=0, now=at, sub=sub, sid=sid, jti=jti, iat=iat, exp=exp
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
    iat, jti = int(now.timestamp()), secrets.token_urlsafe(16)
    exp = _expiry(ctx, iat, datetime.fromtimestamp(iat, UTC))
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
    token = _mint(ctx, now, sub=str(user_id), sid=sid, jti=jti, iat=iat, exp=exp)
    access_token = _access_token(ctx, now, str(user_id), email, roles, sid)
    return _pair(ctx, now, sid, token, exp, access_token)


def _verified(ctx: AuthContext, token: str | None) -> refresh.RefreshClaims:
    if not token:
        record(ctx.metrics, RefreshOutcome.INVALID, None)
        raise InvalidRefreshToken("No session: log in")
    try:
        return refresh.verify(ctx.keys.ring, token, issuer=ctx.settings.issuer)
    except refresh.RefreshTokenExpired as exc:
        record(ctx.metrics, RefreshOutcome.EXPIRED, exc.sid)
        raise InvalidRefreshToken("The session has expired: log in again") from exc
    except refresh.RefreshTokenInvalid as exc:
        record(ctx.metrics, RefreshOutcome.INVALID, None)
        raise InvalidRefreshToken("The session is not valid: log in") from exc


def _ended(ctx: AuthContext, sid: str) -> InvalidRefreshToken:
    record(ctx.metrics, RefreshOutcome.LOGGED_OUT, sid)
    return InvalidRefreshToken("The session has ended: log in again")


async def _end_for_reuse(
    db: AsyncSession, ctx: AuthContext, claims: refresh.RefreshClaims
) -> AppError:
    """Revokes the session and returns the error to raise.

    Revocation and audit event are committed in the request's own transaction (and
    connection) before the 401 is raised: a second connection per request could exhaust
    the pool under a burst of reuse detections.
    """
    ended = await repository.revoke(db, uuid.UUID(claims.sid), "reuse", utcnow())
    if ended:
        await audit(
            db, Event.REFRESH_REUSE, actor=claims.sub, subject=claims.sub, session_id=claims.sid
        )
    await db.commit()
    await ctx.denylist.revoke_sessions([claims.sid], "reuse")
    if not ended:  # another request ended it first: this one is simply too late
        return _ended(ctx, claims.sid)
    record(ctx.metrics, RefreshOutcome.REUSE_REVOKED, claims.sid)
    return RefreshTokenReused("This session token was used twice; the session was ended")


@dataclass(frozen=True)
class _Rotation:
    outcome: RefreshOutcome
    at: datetime  # when PostgreSQL moved the ledger: the successor's iat and signing time
    created_at: datetime
    user: Any  # (id, email, roles)


async def _advance(
    db: AsyncSession, ctx: AuthContext, claims: refresh.RefreshClaims, now: datetime
) -> _Rotation | None:
    """The one conditional UPDATE; None when this token is not the session's current one."""
    s = ctx.settings
    successor_jti = refresh.successor_jti(ctx.keys.ring, claims)
    moved = await repository.advance(
        db,
        uuid.UUID(claims.sid),
        spent_hash=refresh.jti_hash(claims.jti),
        successor_hash=refresh.jti_hash(successor_jti),
        now=now,
        idle_expiry=datetime.fromtimestamp(int(now.timestamp()) + s.refresh_token_ttl, UTC),
        max_lifetime=timedelta(seconds=s.session_max_lifetime),
    )
    if moved is None:
        return None
    await db.commit()  # before Redis hears of it: Redis never knows more than PostgreSQL
    await ctx.denylist.mark_spent(
        jti=claims.jti, spent_at_ms=int(now.timestamp() * 1000), token_exp_ms=claims.exp * 1000
    )
    return _Rotation(RefreshOutcome.ROTATED, now, moved[0], moved[1:])


async def _replay(
    db: AsyncSession, ctx: AuthContext, claims: refresh.RefreshClaims, now: datetime
) -> _Rotation:
    """A token that is not current: its grace replay, or an ended session, or reuse."""
    s = ctx.settings
    ledger = await repository.ledger_of(db, uuid.UUID(claims.sid))
    if ledger is None or ledger.revoked_at is not None:
        if ledger is not None:  # Redis forgot the revocation (e.g. it lost its data)
            await ctx.denylist.revoke_sessions([claims.sid], "revoked")
        raise _ended(ctx, claims.sid)
    if ledger.created_at + timedelta(seconds=s.session_max_lifetime) <= now:
        record(ctx.metrics, RefreshOutcome.EXPIRED, claims.sid)
        raise InvalidRefreshToken("The session has expired: log in again")
    rotated_at = ledger.rotated_at
    in_grace = rotated_at is not None and now - rotated_at <= timedelta(
        seconds=s.refresh_reuse_grace
    )
    spent_last = hmac.compare_digest(ledger.previous_jti_hash or "", refresh.jti_hash(claims.jti))
    if not (in_grace and spent_last):
        raise await _end_for_reuse(db, ctx, claims)
    return _Rotation(RefreshOutcome.GRACE_REPLAY, rotated_at, ledger.created_at, ledger[5:])


async def rotate(db: AsyncSession, ctx: AuthContext, token: str | None) -> TokenPair:
    """Spend `token` and return its one successor (the same one for a replay in the grace).

    PostgreSQL decides (one conditional UPDATE); Redis only answers from what PostgreSQL
    has already committed, so losing Redis's keys changes no answer.
    """
    claims = _verified(ctx, token)
    now = utcnow()
    hint = await ctx.denylist.hint(jti=claims.jti, sid=claims.sid)
    if hint.revoked_reason is not None:
        raise _ended(ctx, claims.sid)
    now_ms = int(now.timestamp() * 1000)
    if hint.spent_at_ms is not None and now_ms - hint.spent_at_ms > ctx.denylist.grace_ms:
        raise await _end_for_reuse(db, ctx, claims)

    rotation = await _advance(db, ctx, claims, now) or await _replay(db, ctx, claims, now)
    iat = int(rotation.at.timestamp())
    exp = _expiry(ctx, iat, rotation.created_at)
    successor = _mint(
        ctx,
        rotation.at,
        sub=claims.sub,
        sid=claims.sid,
        jti=refresh.successor_jti(ctx.keys.ring, claims),
        iat=iat,
        exp=exp,
    )
    record(ctx.metrics, rotation.outcome, claims.sid)
    user_id, email, roles = rotation.user
    access_token = _access_token(ctx, now, str(user_id), email, list(roles), claims.sid)
    return _pair(ctx, now, claims.sid, successor, exp, access_token)


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
