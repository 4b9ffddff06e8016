"""Refresh sessions: start, rotate (see rotation.py), end, list."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, event_row
from auth_service.audit.service import record as audit
from auth_service.errors import NotFound
from auth_service.observability.metrics import Metrics
from auth_service.revocations import service as feed
from auth_service.sessions import repository
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.models import LoginSession
from auth_service.sessions.pairs import SessionUser, TokenPair, issue_pair
from auth_service.sessions.rotation import RefreshRotation
from auth_service.timeutil import utcnow
from auth_service.tokens import refresh
from auth_service.tokens.issuer import TokenIssuer

__all__ = ["SessionUser", "SessionsService", "TokenPair", "end_user_sessions"]


async def end_user_sessions(
    db: AsyncSession,
    ledger: RotationLedger,
    user_id: uuid.UUID,
    reason: str,
    keep: str | None = None,
) -> list[str]:
    """Every live session of the user (but `keep`) ends: revoked in PostgreSQL (the record),
    in the rotation ledger's Redis side (so that their access tokens stop here at once) and
    in the revocation feed (so that they stop at every resource server): without `keep`,
    every token of the user issued before now; with it, those of the ended sessions."""
    kept = uuid.UUID(keep) if keep is not None else None
    sids = await repository.revoke_all_of_user(db, user_id, reason, utcnow(), keep=kept)
    await ledger.revoke_sessions(sids, reason)
    # The feed's append holds its lock until the transaction ends: no Redis call after it.
    if keep is None:
        await feed.subject_ended(db, str(user_id), sids)
    else:
        await feed.sessions_ended(db, sids)
    return sids


class SessionsService:
    def __init__(self, tokens: TokenIssuer, ledger: RotationLedger, metrics: Metrics) -> None:
        self._tokens, self._ledger = tokens, ledger
        self._rotation = RefreshRotation(tokens, ledger, metrics)

    async def start(
        self,
        db: AsyncSession,
        user: SessionUser,
        *,
        user_agent: str,
        ip: str,
        event: Event | None = None,
        details: dict[str, Any] | None = None,
    ) -> TokenPair:
        """A new session; `user.amr` says how the user proved who they are (now). With
        `event`, its audit event (actor the user, subject the email, this session, and
        `details`) is written by the same statement as the session's row."""
        now = utcnow()
        iat, jti = int(now.timestamp()), secrets.token_urlsafe(16)
        exp = self._tokens.refresh_expiry(iat, datetime.fromtimestamp(iat, UTC))
        login = LoginSession(
            user_id=uuid.UUID(user.id),
            created_at=now,
            last_used_at=now,
            expires_at=datetime.fromtimestamp(exp, UTC),
            user_agent=user_agent[:512],
            ip_address=ip[:64],
            current_jti_hash=refresh.jti_hash(jti),
            auth_time=now,
            amr=list(user.amr),
        )
        sid = str(login.id)
        row = None if event is None else event_row(event, user.id, user.email, sid, details)
        await repository.add(db, login, row)
        user = replace(user, auth_time=int(now.timestamp()))
        token = self._tokens.refresh_token(now, sub=user.id, sid=sid, jti=jti, iat=iat, exp=exp)
        return issue_pair(self._tokens, now, user, sid=sid, refresh_token=token, refresh_exp=exp)

    async def rotate(
        self, db: AsyncSession, token: str | None, client_id: str | None = None
    ) -> TokenPair:
        return await self._rotation.rotate(db, token, client_id)

    async def end_by_token(self, db: AsyncSession, token: str | None) -> None:
        """Log-out: the session's tokens become simply invalid (no theft signal). A spent
        refresh token (rotated since) still ends the session it belongs to, as its reuse
        at /refresh would: whoever holds it, the session is safer ended; the audit event
        says it was spent."""
        if not token:
            return
        sid: str | None
        jti: str | None = None
        try:
            claims = self._tokens.read_refresh(token)
            sid, jti = claims.sid, claims.jti
        except refresh.RefreshTokenExpired as exc:
            sid = exc.sid
        except refresh.RefreshTokenInvalid:
            return
        if sid is None:
            return
        current = await repository.current_jti_hash(db, uuid.UUID(sid))
        spent = jti is not None and current is not None and current != refresh.jti_hash(jti)
        await self._ledger.revoke_sessions([sid], "logout")
        if await repository.revoke(db, uuid.UUID(sid), "logout", utcnow()):
            await audit(db, Event.LOGOUT, session_id=sid, details={"spent_token": spent})
            await feed.sessions_ended(db, [sid])  # last: it holds the feed's lock to commit

    async def prove_again(
        self, db: AsyncSession, user: SessionUser, sid: str
    ) -> tuple[str, int] | None:
        """A fresh `auth_time` for this live session, and an access token that carries it
        (the refresh token stays: its next rotation reads the new time from the session).
        None when the session has ended."""
        now = utcnow()
        sid_id, user_id = uuid.UUID(sid), uuid.UUID(user.id)
        if await repository.prove_again(db, sid_id, user_id, now, list(user.amr)) is None:
            return None
        user = replace(user, auth_time=int(now.timestamp()))
        return self._tokens.user_access_token(now, user, sid=sid), self._tokens.access_ttl

    async def end_all(self, db: AsyncSession, user_id: uuid.UUID) -> int:
        sids = await end_user_sessions(db, self._ledger, user_id, "logout_all")
        await audit(
            db,
            Event.LOGOUT_ALL,
            actor=str(user_id),
            subject=str(user_id),
            details={"sessions": len(sids)},
        )
        return len(sids)

    async def end_one(self, db: AsyncSession, user_id: uuid.UUID, sid: uuid.UUID) -> None:
        if not await repository.revoke(db, sid, "revoked", utcnow(), user_id=user_id):
            raise NotFound("No such session")
        await self._ledger.revoke_sessions([str(sid)], "revoked")
        await audit(db, Event.SESSION_REVOKED, actor=str(user_id), session_id=str(sid))
        await feed.sessions_ended(db, [str(sid)])  # last: it holds the feed's lock to commit

    async def list_live(self, db: AsyncSession, user_id: uuid.UUID) -> list[LoginSession]:
        return await repository.live_of_user(db, user_id, utcnow())
