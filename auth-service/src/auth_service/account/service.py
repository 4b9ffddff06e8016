"""Password change, forgotten password and reset: the rules.

Forgot-password answers alike whether or not the email has an account: the same status
and body, and about the same work (a link is made and a mail rendered either way; only
for an account are they stored and queued). Before anything is looked up, both count
against the client address's limit, and both start the email's cooldown: a request inside
it queues nothing and answers alike, so strangers can delay an owner's reset mail by one
cooldown at most, never lock it out.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account import links, repository
from auth_service.account.links import Purpose
from auth_service.account.mailer import AccountMailer
from auth_service.account.models import AccountToken
from auth_service.audit.service import Event, record
from auth_service.auth.service import AuthService
from auth_service.errors import InvalidToken, LinkTokenRejected, ValidationFailed
from auth_service.http.ratelimit import FailureLimiter
from auth_service.mfa.service import MfaService
from auth_service.observability.metrics import Metrics
from auth_service.security.passwords import PasswordHasher, password_problem
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.service import end_user_sessions
from auth_service.timeutil import utcnow
from auth_service.transactions import Why, commit_now
from auth_service.users import addresses
from auth_service.users import repository as users
from auth_service.users.addresses import new_address_problem
from auth_service.users.models import User

logger = logging.getLogger("auth_service.account")


@dataclass(frozen=True)
class MailLimits:
    cooldown: int = 60  # seconds between two forgot-password (or resend) mails to an email
    mails_per_email: int = 5  # such mails to one email per window, then nothing is queued
    email_changes_per_account: int = 5
    email_changes_per_address: int = 3
    smtputf8: bool = False  # the relay takes non-ASCII before the @


class AccountService:
    """The account's lifecycle by mail; `emails.py` has the email flows."""

    def __init__(
        self,
        auth: AuthService,
        hasher: PasswordHasher,
        mailer: AccountMailer,
        limiter: FailureLimiter,
        ledger: RotationLedger,
        metrics: Metrics,
        limits: MailLimits | None = None,
        *,
        mfa: MfaService,
    ) -> None:
        self.auth, self.hasher, self.mailer = auth, hasher, mailer
        self.clock = mailer.clock  # the links' clock: one clock for the whole account flow
        self.limiter, self.ledger, self.metrics = limiter, ledger, metrics
        self.limits = limits or MailLimits()
        self._mfa = mfa

    def count(self, flow: str, outcome: str) -> None:
        self.metrics.account_flows.labels(flow, outcome).inc()

    async def mail_allowed(self, action: str, email: str, ip: str) -> bool:
        """A request that would mail `email` (forgot-password, resend): counted on the client
        address (429 at its limit); False inside the email's cooldown or past its quota of
        mails in the window, where nothing is queued and the answer is the same. Known
        account or not, before any look-up."""
        await self.limiter.reserve_address(action, ip)
        if not await self.limiter.start_cooldown(action, email, self.limits.cooldown):
            self.count(action, "cooldown")
            return False
        if not await self.limiter.mail_queued(action, email, self.limits.mails_per_email):
            self.count(action, "mail_quota")
            return False
        return True

    def refuse_new_address(self, field: str, email: str) -> None:
        """422 for an address that cannot be an account's new one (addresses.py says why)."""
        problem = new_address_problem(email, smtputf8=self.limits.smtputf8)
        if problem:
            raise ValidationFailed(field, problem)

    async def user(self, db: AsyncSession, user_id: uuid.UUID) -> User:
        user = await users.get(db, user_id)
        if user is None:
            raise InvalidToken("The account no longer exists")
        return user

    async def spend(
        self, db: AsyncSession, token: str, purpose: Purpose, flow: str, *, check: bool = False
    ) -> tuple[AccountToken, User]:
        """The link's token (now used; only checked, with `check`) and its account; a
        rejected link is audited and counted."""
        try:
            if check:
                row = await links.check(db, token, purpose, self.clock.now())
            else:
                row = await links.spend(db, token, purpose, self.clock.now())
        except LinkTokenRejected as exc:
            self.count(flow, exc.code)
            await record(db, Event.LINK_REJECTED, details={"flow": flow, "why": exc.code})
            await commit_now(db, Why.REFUSAL_AUDITED)
            raise
        read = users.get if check else users.get_for_update
        user = await read(db, row.user_id)
        assert user is not None  # the token's row goes with its account (ON DELETE CASCADE)
        return row, user

    async def now_verified(self, db: AsyncSession, user: User) -> None:
        """The account's email has just become verified, and was not: what was enrolled
        before goes (whoever signed up with the address may have enrolled it), and with it
        every session of the account."""
        if await self._mfa.remove_on_verification(db, user):
            await end_user_sessions(db, self.ledger, user.id, "factors_removed", self.clock.now())

    async def _new_hash(self, db: AsyncSession, user: User, password: str) -> str:
        """The new password's hash (policy as sign-up), made with no connection held."""
        problem = password_problem(password, user.email)
        if problem:
            raise ValidationFailed("new_password", problem)
        await commit_now(db, Why.HASHER_WAIT)
        return await self.hasher.hash(password)

    async def change_password(
        self, db: AsyncSession, user_id: uuid.UUID, sid: str, current: str, new: str, ip: str
    ) -> None:
        """Every other session ends (this one stays); the owner is mailed a notice."""
        user = await self.user(db, user_id)
        await self.auth.confirm_password(db, user, current, ip=ip, flow="password_change")
        user.password_hash, user.updated_at = await self._new_hash(db, user, new), utcnow()
        await users.save(db, user)
        await self._mfa.void_pending_log_ins(db, user.id)
        await repository.remove_sign_ins(db, user.id, user.email_key)
        ended = await end_user_sessions(
            db, self.ledger, user.id, "password_changed", self.clock.now(), keep=sid
        )
        await self.mailer.queue(db, user.email, "password_changed", link=self.mailer.forgot_link)
        logger.info("password changed user=%s", user.id)
        self.count("password_change", "done")
        await record(
            db,
            Event.PASSWORD_CHANGED,
            actor=str(user.id),
            subject=str(user.id),
            session_id=sid,
            details={"sessions_ended": len(ended)},
        )

    async def forgot_password(self, db: AsyncSession, email: str, ip: str) -> None:
        email = addresses.normalize_email(email)
        if not await self.mail_allowed("forgot", email, ip):
            return
        user = await users.get_by_email(db, email)
        if user is not None:
            await self.mailer.reset_link(db, user)
            logger.info("password reset link queued user=%s", user.id)
        else:
            await self.mailer.nothing_to(db, Purpose.RESET_PASSWORD, "reset_password")
        self.count("password_forgot", "known" if user else "unknown")
        await record(
            db,
            Event.PASSWORD_RESET_REQUESTED,
            actor=str(user.id) if user else None,
            subject=email,
            details={"known_account": user is not None},
        )

    async def reset_password(self, db: AsyncSession, token: str, new: str) -> None:
        """Every session of the account ends, and every log-in waiting for its second step.
        The mail reached its owner: the email is verified too (and what was enrolled while
        it was not is removed)."""
        # Checked first: a refused password leaves the link working.
        _, owner = await self.spend(db, token, Purpose.RESET_PASSWORD, "password_reset", check=True)
        password_hash = await self._new_hash(db, owner, new)
        _, user = await self.spend(db, token, Purpose.RESET_PASSWORD, "password_reset")
        was_verified = user.email_verified
        user.password_hash, user.email_verified, user.updated_at = password_hash, True, utcnow()
        await users.save(db, user)
        if not was_verified:
            await self._mfa.remove_on_verification(db, user)
        await self._mfa.void_pending_log_ins(db, user.id)
        await repository.remove_sign_ins(db, user.id, user.email_key)
        ended = await end_user_sessions(
            db, self.ledger, user.id, "password_reset", self.clock.now()
        )
        logger.info("password reset user=%s", user.id)
        self.count("password_reset", "done")
        await record(
            db,
            Event.PASSWORD_RESET,
            actor=str(user.id),
            subject=str(user.id),
            details={"sessions_ended": len(ended)},
        )
