"""Sign-up, log-in, and proving it again (re-authentication, RFC 9470 step-up)."""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record
from auth_service.auth.passkey_proof import PasskeyProof
from auth_service.auth.schemas import ReauthProof
from auth_service.errors import (
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    ValidationFailed,
    WrongCode,
    WrongPassword,
)
from auth_service.http.ratelimit import FailureLimiter
from auth_service.mfa import challenges
from auth_service.mfa.schemas import MfaRequired
from auth_service.mfa.service import OTP_AMR, MfaService
from auth_service.observability.metrics import Metrics
from auth_service.security.passwords import PasswordHasher, password_problem
from auth_service.sessions.service import SessionsService, SessionUser, TokenPair
from auth_service.timeutil import utcnow
from auth_service.transactions import Why, commit_now
from auth_service.users import addresses
from auth_service.users import repository as users
from auth_service.users import service as user_service
from auth_service.users.addresses import new_address_problem
from auth_service.users.models import User

logger = logging.getLogger("auth_service.auth")

Amr = tuple[str, ...]


def session_user(user: User, amr: tuple[str, ...] = ("pwd",)) -> SessionUser:
    return SessionUser(str(user.id), user.email, list(user.roles), user.email_verified, amr=amr)


class SignUpMail(Protocol):
    """The mails of a sign-up (the account slice queues them in the request's transaction)."""

    async def verification(self, db: AsyncSession, user: User) -> None: ...

    async def already_registered(self, db: AsyncSession, email: str) -> None: ...


class AuthService:
    """Sign-up and log-in: the password hasher, the failure limiter, the sessions they start."""

    def __init__(
        self,
        hasher: PasswordHasher,
        limiter: FailureLimiter,
        sessions: SessionsService,
        metrics: Metrics,
        mail: SignUpMail,
        mfa: MfaService,
        passkeys: PasskeyProof,
        *,
        require_verified_email: bool = False,
        smtputf8: bool = False,
    ) -> None:
        self._smtputf8 = smtputf8
        self._hasher, self._limiter, self._mfa = hasher, limiter, mfa
        self._passkeys = passkeys
        self._sessions, self._metrics = sessions, metrics
        self._mail, self._require_verified = mail, require_verified_email

    async def sign_up(
        self, db: AsyncSession, *, email: str, password: str, user_agent: str, ip: str
    ) -> TokenPair | None:
        """The new session, or None when the email must be verified first (and then the
        same None for an email that has an account: its owner is mailed instead)."""
        problem = new_address_problem(addresses.normalize_email(email), smtputf8=self._smtputf8)
        if problem:
            raise ValidationFailed("email", problem)
        problem = password_problem(password, email)
        if problem:
            raise ValidationFailed("password", problem)
        try:
            user = await user_service.create(db, self._hasher, email, password, roles=[])
        except EmailTaken:
            if not self._require_verified:
                raise
            email = addresses.normalize_email(email)
            await self._mail.already_registered(db, email)
            await record(db, Event.SIGNUP_EXISTING_EMAIL, subject=email)
            return None
        logger.info("sign-up user=%s", user.id)
        await self._mail.verification(db, user)
        if self._require_verified:
            await record(db, Event.SIGNUP, actor=str(user.id), subject=user.email)
            return None
        pair = await self._sessions.start(db, session_user(user), user_agent=user_agent, ip=ip)
        await record(db, Event.SIGNUP, actor=str(user.id), subject=user.email, session_id=pair.sid)
        return pair

    async def log_in(
        self, db: AsyncSession, *, email: str, password: str, user_agent: str, ip: str
    ) -> TokenPair | MfaRequired:
        """The session, or (the account has a second factor) the log-in's `mfa_token`."""
        email = addresses.normalize_email(email)
        attempt = await self._limiter.reserve_login(email, ip)  # before any connection
        # One prepared statement, outside a transaction: the account and its second factor.
        found = await users.for_log_in(db, email)
        await commit_now(db, Why.HASHER_WAIT)
        user, second_step = found if found is not None else (None, False)
        # An unknown email costs the same hash verification, so timing does not tell.
        stored = user.password_hash if user else None
        matches, new_hash = await self._hasher.verify(password, stored)
        if user is None or not matches:
            self._metrics.logins.labels("failed").inc()
            logger.info("log-in failed")
            await record(
                db, Event.LOGIN_FAILED, subject=email, details={"known_account": user is not None}
            )
            await commit_now(db, Why.REFUSAL_AUDITED)
            raise InvalidCredentials("Wrong email or password")
        # Until the second factor is proved, the wrong codes counted before stay counted.
        await self._limiter.release(attempt, clear=not second_step)
        if self._require_verified and not user.email_verified:  # told only to its owner
            self._metrics.logins.labels("email_not_verified").inc()
            raise EmailNotVerified(
                "Confirm your email first: follow the link we mailed you (or ask for a new one)"
            )
        if new_hash is not None:  # parameters changed or a legacy scheme: upgrade in place
            user.password_hash, user.updated_at = new_hash, utcnow()
            await users.set_password_hash(db, user)
        if second_step:
            return await self._ask_second_factor(db, user)
        logger.info("log-in user=%s", user.id)
        self._metrics.logins.labels("succeeded").inc()
        # The session's row and the audit event: one statement, one round trip.
        return await self._sessions.start(
            db, session_user(user), user_agent=user_agent, ip=ip, event=Event.LOGIN_SUCCEEDED
        )

    async def _ask_second_factor(self, db: AsyncSession, user: User) -> MfaRequired:
        logger.info("log-in password accepted, second factor required user=%s", user.id)
        self._metrics.logins.labels("mfa_required").inc()
        methods = await self._mfa.methods(db, user.id)
        return MfaRequired(
            mfa_token=await challenges.issue(db, user.id, self._sessions.clock.now()),
            methods=methods,
        )

    async def confirm_password(
        self, db: AsyncSession, user: User, password: str, *, ip: str, flow: str
    ) -> None:
        """A signed-in user's password, checked again: counted like a log-in attempt (the
        same limits), 403 `wrong_password` when it is not right."""
        attempt = await self._limiter.reserve_login(user.email, ip)
        await commit_now(db, Why.HASHER_WAIT)
        matches, _ = await self._hasher.verify(password, user.password_hash)
        if not matches:
            self._metrics.account_flows.labels(flow, "wrong_password").inc()
            await record(
                db,
                Event.REAUTH_FAILED,
                actor=str(user.id),
                subject=str(user.id),
                details={"flow": flow},
            )
            await commit_now(db, Why.REFUSAL_AUDITED)
            raise WrongPassword("The password is not right")
        await self._limiter.release(attempt)

    async def confirm_code(self, db: AsyncSession, user: User, code: str, *, ip: str) -> None:
        """A signed-in user's TOTP code (never one accepted before): counted like a log-in
        attempt, 403 `wrong_code` when it is not right."""
        attempt = await self._limiter.reserve_login(user.email, ip)
        if not await self._mfa.accept_code(db, user.id, code):
            self._metrics.account_flows.labels("reauth", "wrong_code").inc()
            await record(
                db,
                Event.REAUTH_FAILED,
                actor=str(user.id),
                subject=str(user.id),
                details={"flow": "reauth", "method": "totp"},
            )
            await commit_now(db, Why.REFUSAL_AUDITED)
            raise WrongCode("The code is not right (or was used already)")
        await self._limiter.release(attempt)

    async def prove(self, db: AsyncSession, user: User, proof: ReauthProof, ip: str) -> Amr:
        """One proof of who the user is, at /reauth: what it proved (RFC 8176 `amr`)."""
        if proof.webauthn is not None:
            await self._passkeys.confirm(db, user.id, proof.webauthn, ip)
            return ("hwk",)
        if proof.code is not None:
            await self.confirm_code(db, user, proof.code, ip=ip)
            return OTP_AMR
        assert proof.password is not None
        await self.confirm_password(db, user, proof.password, ip=ip, flow="reauth")
        return ("pwd",)

    async def reauthenticate(
        self, db: AsyncSession, user_id: uuid.UUID, sid: str, proof: ReauthProof, ip: str
    ) -> tuple[str, int]:
        """POST /reauth: a proof again; an access token with a fresh `auth_time`, and the
        session's `amr` becomes what was proved."""
        user = await users.get(db, user_id)
        if user is None:
            raise InvalidToken("The account no longer exists")
        amr = await self.prove(db, user, proof, ip)
        proved = await self._sessions.prove_again(db, session_user(user, amr), sid)
        if proved is None:
            raise InvalidToken("The session of this token has ended")
        self._metrics.account_flows.labels("reauth", "done").inc()
        await record(
            db,
            Event.REAUTHENTICATED,
            actor=str(user.id),
            subject=str(user.id),
            session_id=sid,
            details={"amr": list(amr)},
        )
        return proved
