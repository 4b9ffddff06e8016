"""Refresh-token rotation: PostgreSQL decides; Redis only refuses a session PostgreSQL ended.

The session row is the ledger: the hash of its current refresh-token id, of the one it
replaced, and when. One conditional UPDATE moves it (`repository.advance`), so of any
number of racing requests exactly one rotates; the others read the row and get the same
successor back inside the grace window, or end the session as reuse after it.

A rotation is three steps: verify the token (`_verify`), decide what it is owed
(`_decide`: a rotation, a grace replay, or an error), mint the successor (`_mint`).
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
from auth_service.errors import AppError, InvalidRefreshToken, RefreshTokenReused
from auth_service.kv import REDIS_DOWN_ERRORS
from auth_service.observability.metrics import Metrics
from auth_service.revocations import service as feed
from auth_service.sessions import repository
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.outcomes import RefreshOutcome, record
from auth_service.sessions.pairs import SessionUser, TokenPair, issue_pair
from auth_service.timeutil import utcnow
from auth_service.tokens import refresh
from auth_service.tokens.issuer import TokenIssuer

logger = logging.getLogger("auth_service.sessions")


async def cache(write: Awaitable[None]) -> None:
    """Tells Redis what PostgreSQL has committed; the answer no longer depends on it."""
    try:
        await write
    except REDIS_DOWN_ERRORS:
        logger.warning("Redis missed a committed refresh-session change; PostgreSQL has it")


@dataclass(frozen=True)
class Decision:
    """What a verified refresh token is owed: its one successor, minted as of `at`."""

    outcome: RefreshOutcome
    successor_jti: str
    at: datetime  # when PostgreSQL moved the ledger: the successor's iat and signing time
    created_at: datetime  # the session's: the absolute lifetime counts from it
    user: SessionUser
    client_id: str | None = None  # an application's family: its client and granted scope
    scope: str | None = None


def _user(row: Any) -> SessionUser:
    """From a row's (user id, email, roles, email_verified, auth_time, amr): the session's
    proof is carried over as it is, never renewed by a refresh."""
    user_id, email, roles, verified, auth_time, amr = row
    proved_at = int(auth_time.timestamp())
    return SessionUser(str(user_id), str(email), list(roles), bool(verified), proved_at, tuple(amr))


class RefreshRotation:
    def __init__(self, tokens: TokenIssuer, ledger: RotationLedger, metrics: Metrics) -> None:
        self._tokens, self._ledger, self._metrics = tokens, ledger, metrics

    async def rotate(
        self, db: AsyncSession, token: str | None, client_id: str | None = None
    ) -> TokenPair:
        """Spend `token` and return its one successor (the same one for a replay in the grace).

        PostgreSQL decides (one conditional UPDATE); Redis only answers from what PostgreSQL
        has already committed, so losing Redis's keys changes no answer. `client_id`: the
        application whose family this must be (None: the browser's own session).
        """
        claims = self._verify(token)
        now = utcnow()
        decision = await self._decide(db, claims, now, client_id)
        return self._mint(claims, decision, now)

    def _verify(self, token: str | None) -> refresh.RefreshClaims:
        if not token:
            record(self._metrics, RefreshOutcome.INVALID, None)
            raise InvalidRefreshToken("No session: log in")
        try:
            return self._tokens.read_refresh(token)
        except refresh.RefreshTokenExpired as exc:
            record(self._metrics, RefreshOutcome.EXPIRED, exc.sid)
            raise InvalidRefreshToken("The session has expired: log in again") from exc
        except refresh.RefreshTokenInvalid as exc:
            record(self._metrics, RefreshOutcome.INVALID, None)
            raise InvalidRefreshToken("The session is not valid: log in") from exc

    async def _decide(
        self, db: AsyncSession, claims: refresh.RefreshClaims, now: datetime, client_id: str | None
    ) -> Decision:
        hint = await self._ledger.hint(jti=claims.jti, sid=claims.sid)
        if hint.revoked_reason is not None:
            raise self._ended(claims.sid)
        now_ms = int(now.timestamp() * 1000)
        if hint.spent_at_ms is not None and now_ms - hint.spent_at_ms > self._ledger.grace_ms:
            raise await self._end_for_reuse(db, claims)
        successor_jti = self._tokens.successor_jti(claims)
        advanced = await self._advance(db, claims, successor_jti, now, client_id)
        return advanced or await self._replay(db, claims, successor_jti, now, client_id)

    def _mint(self, claims: refresh.RefreshClaims, decision: Decision, now: datetime) -> TokenPair:
        iat = int(decision.at.timestamp())
        exp = self._tokens.refresh_expiry(iat, decision.created_at)
        successor = self._tokens.refresh_token(
            decision.at,
            sub=claims.sub,
            sid=claims.sid,
            jti=decision.successor_jti,
            iat=iat,
            exp=exp,
        )
        record(self._metrics, decision.outcome, claims.sid)
        if decision.client_id is not None:
            access_token = self._tokens.app_access_token(
                now,
                decision.user,
                sid=claims.sid,
                client_id=decision.client_id,
                scope=decision.scope or "",
            )
            refresh_max_age = max(0, exp - int(now.timestamp()))
            ttl = self._tokens.access_ttl
            return TokenPair(claims.sid, access_token, ttl, successor, refresh_max_age)
        return issue_pair(
            self._tokens,
            now,
            decision.user,
            sid=claims.sid,
            refresh_token=successor,
            refresh_exp=exp,
        )

    async def _advance(
        self,
        db: AsyncSession,
        claims: refresh.RefreshClaims,
        successor_jti: str,
        now: datetime,
        client_id: str | None,
    ) -> Decision | None:
        """The one conditional UPDATE; None when this token is not the session's current one."""
        idle_expiry = int(now.timestamp()) + self._tokens.refresh_ttl
        moved = await repository.advance(
            db,
            uuid.UUID(claims.sid),
            spent_hash=refresh.jti_hash(claims.jti),
            successor_hash=refresh.jti_hash(successor_jti),
            now=now,
            idle_expiry=datetime.fromtimestamp(idle_expiry, UTC),
            max_lifetime=timedelta(seconds=self._tokens.session_max_lifetime),
            client_id=client_id,
        )
        if moved is None:
            return None
        await db.commit()
        user = _user(moved[1:7])
        return Decision(
            RefreshOutcome.ROTATED, successor_jti, now, moved[0], user, moved[7], moved[8]
        )

    async def _replay(
        self,
        db: AsyncSession,
        claims: refresh.RefreshClaims,
        successor_jti: str,
        now: datetime,
        client_id: str | None,
    ) -> Decision:
        """A token that is not current: its grace replay, or an ended session, or reuse."""
        ledger = await repository.ledger_of(db, uuid.UUID(claims.sid))
        if ledger is not None and ledger.client_id != client_id:
            record(self._metrics, RefreshOutcome.INVALID, None)
            raise InvalidRefreshToken("This refresh token belongs to another client")
        if ledger is None or ledger.revoked_at is not None:
            if ledger is not None:  # Redis forgot the revocation (e.g. it lost its data)
                await cache(self._ledger.revoke_sessions([claims.sid], "revoked"))
            raise self._ended(claims.sid)
        if ledger.created_at + timedelta(seconds=self._tokens.session_max_lifetime) <= now:
            record(self._metrics, RefreshOutcome.EXPIRED, claims.sid)
            raise InvalidRefreshToken("The session has expired: log in again")
        rotated_at = ledger.rotated_at
        in_grace = rotated_at is not None and now - rotated_at <= self._ledger.grace
        spent = refresh.jti_hash(claims.jti)
        spent_last = hmac.compare_digest(ledger.previous_jti_hash or "", spent)
        if not (in_grace and spent_last):
            raise await self._end_for_reuse(db, claims)
        return Decision(
            RefreshOutcome.GRACE_REPLAY,
            successor_jti,
            rotated_at,
            ledger.created_at,
            _user(ledger[5:11]),
            ledger.client_id,
            ledger.scope,
        )

    def _ended(self, sid: str) -> InvalidRefreshToken:
        record(self._metrics, RefreshOutcome.LOGGED_OUT, sid)
        return InvalidRefreshToken("The session has ended: log in again")

    async def _end_for_reuse(self, db: AsyncSession, claims: refresh.RefreshClaims) -> AppError:
        """Revokes the session and returns the error to raise.

        Revocation and audit event are committed in the request's own transaction (and
        connection) before the 401 is raised: a second connection per request could exhaust
        the pool under a burst of reuse detections.
        """
        ended = await repository.revoke(db, uuid.UUID(claims.sid), "reuse", utcnow())
        if ended:
            await feed.sessions_ended(db, [claims.sid])
            await audit(
                db,
                Event.REFRESH_REUSE,
                actor=claims.sub,
                subject=claims.sub,
                session_id=claims.sid,
            )
        await db.commit()
        await cache(self._ledger.revoke_sessions([claims.sid], "reuse"))
        if not ended:  # another request ended it first: this one is simply too late
            return self._ended(claims.sid)
        record(self._metrics, RefreshOutcome.REUSE_REVOKED, claims.sid)
        return RefreshTokenReused("This session token was used twice; the session was ended")
