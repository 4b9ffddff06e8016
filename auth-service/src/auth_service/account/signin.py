"""Sign-in by mail: a link (`/login-link#token=…`, 256 random bits) and a 6-digit code in
one message, both for one sign-in.

- One live sign-in per address: a new request overwrites the row, so the older link and
  code die. 10 minutes; 5 wrong codes void both (counted by one conditional statement, so
  simultaneous guesses count exactly). Only hashes are stored: the token's sha256, the
  code's HMAC under a key derived from the key-encryption key (a million codes are few: a
  copy of the database alone must not be able to test them).
- The request answers alike for every address (like forgot-password: the same status,
  body and work; the address's limit counts before any look-up, the email's cooldown and
  quota queue nothing and answer alike).
- A wrong code counts against the account's failed log-ins (the log-in limiter: 429 per
  account and address, per address).
- Success proves the mailbox: the email becomes verified. When it was not, whoever signed
  up with the address may have chosen its password and enrolled factors: the password is
  replaced by a random one (the owner sets theirs by "Forgot password?"), the factors go,
  and every session of the account ends.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account import repository
from auth_service.account.links import token_hash
from auth_service.account.mailer import NOBODY
from auth_service.account.models import EmailSignIn
from auth_service.account.service import AccountService
from auth_service.audit.service import Event, record
from auth_service.auth.service import session_user
from auth_service.errors import InvalidSignInCode, LinkTokenRejected
from auth_service.http.ratelimit import FailureLimiter
from auth_service.mail import outbox
from auth_service.mfa import challenges
from auth_service.mfa.schemas import MfaRequired
from auth_service.mfa.service import MfaService
from auth_service.security.encryption import UserSecrets
from auth_service.sessions.service import SessionsService, TokenPair, end_user_sessions
from auth_service.timeutil import utcnow
from auth_service.transactions import Why, commit_now
from auth_service.users import addresses
from auth_service.users import repository as users
from auth_service.users.models import User

logger = logging.getLogger("auth_service.account")

LIFETIME = timedelta(minutes=10)
MAX_WRONG_CODES = 5
PAGE = "/login-link"
AMR = "email"  # RFC 8176 has no value for a mailed code; "otp" here means the app's code
_FLOW = "email_sign_in"
_GONE = "This code is not valid any more: ask for a new one"


def _code_message(email_key: str, code: str) -> bytes:
    # Apart from the recovery codes' messages (a user id's 16 bytes first) under one key.
    return b"email-sign-in\x00" + email_key.encode() + b"\x00" + code.encode()


@dataclass(frozen=True)
class SignInOptions:
    enabled: bool = True  # AUTH_EMAIL_LOGIN
    sign_up: bool = False  # AUTH_EMAIL_SIGNUP


class EmailSignInService:
    def __init__(
        self,
        account: AccountService,
        limiter: FailureLimiter,
        sessions: SessionsService,
        mfa: MfaService,
        user_secrets: UserSecrets,
        options: SignInOptions,
    ) -> None:
        self._account, self._limiter, self._sessions = account, limiter, sessions
        self._mfa, self._secrets, self.options = mfa, user_secrets, options

    @property
    def _now(self) -> datetime:
        return self._account.clock.now()

    async def request(self, db: AsyncSession, email: str, ip: str) -> None:
        """Mails a link and a code when the address has an account (or may get one); the
        same answer and about the same work when it has not."""
        email = addresses.normalize_email(email)
        if not await self._account.mail_allowed(_FLOW, email, ip):
            return
        user = await users.get_by_email(db, email)
        may_sign_up = self.options.sign_up and not addresses.new_address_problem(
            email, smtputf8=self._account.limits.smtputf8
        )
        if user is None and not may_sign_up:
            async with db.begin_nested() as savepoint:  # the same writes, none kept
                await self._mail(db, NOBODY, None)
                await savepoint.rollback()
        else:
            await self._mail(db, email, user)
        self._account.count(_FLOW, "known" if user else "unknown")
        await record(
            db,
            Event.EMAIL_SIGN_IN_REQUESTED,
            actor=str(user.id) if user else None,
            subject=email,
            details={"known_account": user is not None},
        )

    async def _mail(self, db: AsyncSession, email: str, user: User | None) -> None:
        token, code = secrets.token_urlsafe(32), f"{secrets.randbelow(10**6):06d}"
        key = addresses.email_key(email)
        now = self._now
        row = EmailSignIn(
            email_key=key,
            user_id=user.id if user else None,
            email=email,
            token_hash=token_hash(token),
            code_hash=self._secrets.digests(_code_message(key, code))[0],
            created_at=now,
            expires_at=now + LIFETIME,
        )
        await repository.put_sign_in(db, row)
        link = self._account.mailer.page_link(PAGE, token)
        mail = self._account.mailer.render("sign_in_code", link=link, code=code, minutes=10)
        await outbox.add(db, email, mail)

    async def with_token(
        self, db: AsyncSession, token: str, *, user_agent: str, ip: str
    ) -> TokenPair | MfaRequired:
        """The link's token (from the page's button): spent, and the sign-in goes on."""
        attempt = await self._limiter.reserve_address("email_link", ip)
        match = col(EmailSignIn.token_hash) == token_hash(token)
        row = await repository.spend_sign_in(db, match, self._now, MAX_WRONG_CODES)
        if row is None:
            await self._refused(db, None, "link")
            raise LinkTokenRejected(
                "This link does not work (used, replaced by a newer one, or expired): "
                "ask for a new one"
            )
        await self._limiter.release(attempt)
        return await self._signed_in(db, row, user_agent=user_agent, ip=ip)

    async def with_code(
        self, db: AsyncSession, email: str, code: str, *, user_agent: str, ip: str
    ) -> TokenPair | MfaRequired:
        """The code typed on any device, with its address: right, the sign-in goes on; wrong,
        counted (on the code and on the account's failed log-ins)."""
        email = addresses.normalize_email(email)
        key = addresses.email_key(email)
        attempt = await self._limiter.reserve_login(email, ip)
        digests = self._secrets.digests(_code_message(key, code))
        match = sa.and_(col(EmailSignIn.email_key) == key, col(EmailSignIn.code_hash).in_(digests))
        row = await repository.spend_sign_in(db, match, self._now, MAX_WRONG_CODES)
        if row is None:
            failures = await repository.sign_in_failed(db, key, self._now, MAX_WRONG_CODES)
            await self._refused(db, email, "code")
            if failures is None or failures >= MAX_WRONG_CODES:
                raise InvalidSignInCode(_GONE)
            left = MAX_WRONG_CODES - failures
            raise InvalidSignInCode(f"That code is not right ({left} more tries for it)")
        await self._limiter.release(attempt, clear=True)
        return await self._signed_in(db, row, user_agent=user_agent, ip=ip)

    async def _refused(self, db: AsyncSession, email: str | None, method: str) -> None:
        self._account.count(_FLOW, f"wrong_{method}")
        await record(db, Event.EMAIL_SIGN_IN_FAILED, subject=email, details={"method": method})
        await commit_now(db, Why.REFUSAL_AUDITED)  # the wrong code's count too

    async def _signed_in(
        self, db: AsyncSession, row: EmailSignIn, *, user_agent: str, ip: str
    ) -> TokenPair | MfaRequired:
        user = await self._owner(db, row)
        if user is None:
            raise InvalidSignInCode(_GONE)
        if await self._mfa.required(db, user.id):
            self._account.metrics.logins.labels("mfa_required").inc()
            return MfaRequired(
                mfa_token=await challenges.issue(db, user.id, self._now, first_factor=AMR),
                methods=await self._mfa.methods(db, user.id),
            )
        logger.info("log-in user=%s (mailed code)", user.id)
        self._account.metrics.logins.labels("succeeded").inc()
        return await self._sessions.start(
            db,
            session_user(user, (AMR,)),
            user_agent=user_agent,
            ip=ip,
            event=Event.LOGIN_SUCCEEDED,
            details={"amr": [AMR]},
        )

    async def _owner(self, db: AsyncSession, row: EmailSignIn) -> User | None:
        """The account the spent sign-in opens, its email now verified; made on first use
        for an address without one (`AUTH_EMAIL_SIGNUP`). None: it cannot open one (the
        account's email changed, or sign-up was turned off since)."""
        user = await users.get_by_email(db, row.email)
        if user is None and row.user_id is not None:
            return None  # its account has another email now
        if user is not None and row.user_id is not None and user.id != row.user_id:
            return None
        if user is not None and user.email_verified:
            return user
        if user is None and not self.options.sign_up:
            return None
        # A new password nobody knows: hashed with no connection held (the use is spent).
        await commit_now(db, Why.HASHER_WAIT)
        password_hash = await self._account.hasher.hash(secrets.token_urlsafe(32))
        if user is None:
            return await self._new_account(db, row, password_hash)
        return await self._take_over(db, user.id, password_hash)

    async def _new_account(self, db: AsyncSession, row: EmailSignIn, password_hash: str) -> User:
        user = User(
            email=row.email,
            email_key=row.email_key,
            password_hash=password_hash,
            email_verified=True,
        )
        try:
            async with db.begin_nested():
                db.add(user)
                await db.flush()
        except IntegrityError:  # a sign-up of the same address won the race
            found = await users.get_by_email(db, row.email)
            assert found is not None
            return await self._take_over(db, found.id, password_hash)
        logger.info("sign-up user=%s (mailed code)", user.id)
        await record(db, Event.SIGNUP, actor=str(user.id), subject=user.email)
        return user

    async def _take_over(self, db: AsyncSession, user_id: uuid.UUID, password_hash: str) -> User:
        """An unverified account whose mailbox was just proved: the prover's alone now."""
        user = await users.get_for_update(db, user_id)
        assert user is not None
        if user.email_verified:  # verified meanwhile (its owner): nothing to take back
            return user
        user.password_hash, user.email_verified, user.updated_at = password_hash, True, utcnow()
        await users.save(db, user)
        await self._mfa.remove_on_verification(db, user)
        await end_user_sessions(db, self._account.ledger, user.id, "email_sign_in", self._now)
        await record(db, Event.EMAIL_VERIFIED, actor=str(user.id), subject=str(user.id))
        return user
