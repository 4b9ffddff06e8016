"""Refresh-token rotation: PostgreSQL decides, Redis answers only what it has committed.

The session row is the ledger: the hash of its current refresh-token id, of the one it
replaced, and when. One conditional UPDATE moves it (`repository.advance`), so of any
number of racing requests exactly one rotates; the others read the row and get the same
successor back inside the grace window, or end the session as reuse after it.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event
from auth_service.audit.service import record as audit
from auth_service.context import AuthContext
from auth_service.errors import AppError, InvalidRefreshToken, RefreshTokenReused
from auth_service.kv import REDIS_DOWN_ERRORS
from auth_service.sessions import repository
from auth_service.sessions.outcomes import RefreshOutcome, record
from auth_service.sessions.pairs import TokenPair, access_token, expiry, mint_refresh, pair
from auth_service.timeutil import utcnow
from auth_service.tokens import refresh

logger = logging.getLogger("auth_service.sessions")


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


async def _cache(write: Awaitable[None]) -> None:
    """Tells Redis what PostgreSQL has committed; the answer no longer depends on it."""
    try:
        await write
    except REDIS_DOWN_ERRORS:
        logger.warning("Redis missed a committed refresh-session change; PostgreSQL has it")


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
    await _cache(ctx.denylist.revoke_sessions([claims.sid], "reuse"))
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
    db: AsyncSession,
    ctx: AuthContext,
    claims: refresh.RefreshClaims,
    successor_jti: str,
    now: datetime,
) -> _Rotation | None:
    """The one conditional UPDATE; None when this token is not the session's current one."""
    s = ctx.settings
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
    await _cache(
        ctx.denylist.mark_spent(
            jti=claims.jti, spent_at_ms=int(now.timestamp() * 1000), token_exp_ms=claims.exp * 1000
        )
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
            await _cache(ctx.denylist.revoke_sessions([claims.sid], "revoked"))
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

    successor_jti = refresh.successor_jti(ctx.keys.ring, claims)
    rotation = await _advance(db, ctx, claims, successor_jti, now) or await _replay(
        db, ctx, claims, now
    )
    iat = int(rotation.at.timestamp())
    exp = expiry(ctx, iat, rotation.created_at)
    successor = mint_refresh(
        ctx,
        rotation.at,
        sub=claims.sub,
        sid=claims.sid,
        jti=successor_jti,
        iat=iat,
        exp=exp,
    )
    record(ctx.metrics, rotation.outcome, claims.sid)
    user_id, email, roles = rotation.user
    issued = access_token(ctx, now, str(user_id), email, list(roles), claims.sid)
    return pair(ctx, now, claims.sid, successor, exp, issued)
