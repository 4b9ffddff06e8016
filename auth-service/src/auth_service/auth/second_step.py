"""The second step of a log-in (`POST /login/mfa`): the `mfa_token` that the password step
answered, and one proof of a second factor (checked by `MfaService.verify`).

A passkey's assertion that is refused (another user's passkey, a replayed or spent
challenge, a bad signature) is a wrong proof like a wrong code.

Each wrong code counts twice: on the log-in (void after 5) and against the account's
failed log-ins (the same limiter as passwords, so 429 at its limit)."""

from __future__ import annotations

import logging
from typing import NoReturn

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record
from auth_service.auth.service import session_user
from auth_service.errors import InvalidMfaCode, InvalidMfaToken
from auth_service.http.ratelimit import FailureLimiter
from auth_service.mfa import challenges
from auth_service.mfa.schemas import MfaLogIn
from auth_service.mfa.service import MfaService
from auth_service.observability.metrics import Metrics
from auth_service.sessions.service import SessionsService, TokenPair
from auth_service.transactions import Why, commit_now
from auth_service.users import repository as users
from auth_service.users.models import User

logger = logging.getLogger("auth_service.auth")

_EXPIRED = "This log-in has expired or was used: log in again"


class SecondStep:
    def __init__(
        self,
        limiter: FailureLimiter,
        sessions: SessionsService,
        mfa: MfaService,
        metrics: Metrics,
    ) -> None:
        self._limiter, self._sessions = limiter, sessions
        self._mfa, self._metrics = mfa, metrics

    async def complete(
        self, db: AsyncSession, body: MfaLogIn, *, user_agent: str, ip: str
    ) -> TokenPair:
        """The session, once the log-in's second factor is proved."""
        waiting = await challenges.live(db, body.mfa_token, self._sessions.clock.now())
        user = await users.get(db, waiting.user_id) if waiting is not None else None
        if user is None:
            raise InvalidMfaToken(_EXPIRED)
        attempt = await self._limiter.reserve_login(user.email, ip)  # may wait: no lock yet
        locked = await challenges.live(db, body.mfa_token, self._sessions.clock.now(), lock=True)
        if locked is None:
            await self._limiter.release(attempt, clear=False)  # not a guess: a spent log-in
            raise InvalidMfaToken(_EXPIRED)
        proved = await self._mfa.verify(db, user.id, body)
        if proved is None:
            await self._wrong_code(db, user, body)
        # The row lock above makes this the one request that spends the token; should it
        # not be (a lock lost), no session: the transaction, and the proof's use, roll back.
        if not await challenges.spend(db, body.mfa_token, self._sessions.clock.now()):
            await self._limiter.release(attempt, clear=False)
            raise InvalidMfaToken(_EXPIRED)
        await self._limiter.release(attempt)
        amr = (locked.first_factor, *proved, "mfa")
        logger.info("log-in user=%s (second factor)", user.id)
        self._metrics.logins.labels("succeeded").inc()
        return await self._sessions.start(
            db,
            session_user(user, amr),
            user_agent=user_agent,
            ip=ip,
            event=Event.LOGIN_SUCCEEDED,
            details={"amr": list(amr)},
        )

    async def _wrong_code(self, db: AsyncSession, user: User, body: MfaLogIn) -> NoReturn:
        left = await challenges.wrong_code(db, body.mfa_token)
        self._metrics.logins.labels("mfa_failed").inc()
        method = "totp" if body.code is not None else "recovery_code"
        method = "webauthn" if body.webauthn is not None else method
        await record(
            db,
            Event.MFA_FAILED,
            actor=str(user.id),
            subject=user.email,
            details={"method": method, "tries_left": left},
        )
        await commit_now(db, Why.REFUSAL_AUDITED)  # the wrong code's count too
        if left == 0:
            raise InvalidMfaToken("Too many wrong codes: log in again")
        what = "That passkey was not accepted" if method == "webauthn" else "That code is not right"
        raise InvalidMfaCode(f"{what} ({left} more tries for this log-in)")
