"""Sign-up and log-in."""

from __future__ import annotations

import logging

from service_kit.db import release_connection
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record, record_committed
from auth_service.auth.ratelimit import FailureLimiter
from auth_service.errors import InvalidCredentials, ValidationFailed
from auth_service.observability.metrics import Metrics
from auth_service.security.passwords import PasswordHasher, password_problem
from auth_service.sessions.service import SessionsService, SessionUser, TokenPair
from auth_service.timeutil import utcnow
from auth_service.users import repository as users
from auth_service.users import service as accounts
from auth_service.users.models import User

logger = logging.getLogger("auth_service.auth")


def _session_user(user: User) -> SessionUser:
    return SessionUser(str(user.id), user.email, list(user.roles))


class AuthService:
    """Sign-up and log-in: the password hasher, the failure limiter, the sessions they start."""

    def __init__(
        self,
        hasher: PasswordHasher,
        limiter: FailureLimiter,
        sessions: SessionsService,
        metrics: Metrics,
    ) -> None:
        self._hasher, self._limiter = hasher, limiter
        self._sessions, self._metrics = sessions, metrics

    async def sign_up(
        self, db: AsyncSession, *, email: str, password: str, user_agent: str, ip: str
    ) -> TokenPair:
        problem = password_problem(password, email)
        if problem:
            raise ValidationFailed("password", problem)
        user = await accounts.create(db, self._hasher, email, password, roles=[])
        logger.info("sign-up user=%s", user.id)
        pair = await self._sessions.start(db, _session_user(user), user_agent=user_agent, ip=ip)
        await record(db, Event.SIGNUP, actor=str(user.id), subject=user.email, session_id=pair.sid)
        return pair

    async def log_in(
        self, db: AsyncSession, *, email: str, password: str, user_agent: str, ip: str
    ) -> TokenPair:
        email = accounts.normalize_email(email)
        attempt = await self._limiter.reserve_login(email, ip)  # before any connection
        user = await users.get_by_email(db, email)
        await release_connection(db)  # not held while waiting for the hasher
        # An unknown email costs the same hash verification, so timing does not tell.
        stored = user.password_hash if user else None
        matches, new_hash = await self._hasher.verify(password, stored)
        if user is None or not matches:
            self._metrics.logins.labels("failed").inc()
            logger.info("log-in failed")
            # The 401 rolls the request's transaction back: this event is committed first.
            await record_committed(
                db, Event.LOGIN_FAILED, subject=email, details={"known_account": user is not None}
            )
            raise InvalidCredentials("Wrong email or password")
        await self._limiter.release(attempt)
        if new_hash is not None:  # parameters changed or a legacy scheme: upgrade in place
            user.password_hash, user.updated_at = new_hash, utcnow()
            await users.save(db, user)
        logger.info("log-in user=%s", user.id)
        self._metrics.logins.labels("succeeded").inc()
        pair = await self._sessions.start(db, _session_user(user), user_agent=user_agent, ip=ip)
        await record(
            db, Event.LOGIN_SUCCEEDED, actor=str(user.id), subject=user.email, session_id=pair.sid
        )
        return pair
