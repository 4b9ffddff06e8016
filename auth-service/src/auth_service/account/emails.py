"""Email verification and email change: the rules.

A resend by email address (for someone who cannot log in before verifying) answers alike
whether or not the address has an account, like forgot-password, and like it mails one
address at most once per cooldown. An email change is limited per account and per new
address (each mails a link there).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account import links, repository
from auth_service.account.links import Purpose
from auth_service.account.service import AccountService
from auth_service.audit.service import Event, record
from auth_service.errors import EmailTaken, ValidationFailed
from auth_service.timeutil import utcnow
from auth_service.users import addresses
from auth_service.users import repository as users
from auth_service.users.addresses import email_key
from auth_service.users.models import User

logger = logging.getLogger("auth_service.account")

_TAKEN = "An account with this email exists"


class EmailService:
    def __init__(self, account: AccountService) -> None:
        self._account = account
        self._mailer = account.mailer

    async def verify(self, db: AsyncSession, token: str) -> None:
        _, user = await self._account.spend(db, token, Purpose.VERIFY_EMAIL, "email_verify")
        was_verified = user.email_verified
        user.email_verified, user.updated_at = True, utcnow()
        await users.save(db, user)
        if not was_verified:
            await self._account.now_verified(db, user)
        self._account.count("email_verify", "done")
        await record(db, Event.EMAIL_VERIFIED, actor=str(user.id), subject=user.email)

    async def resend_to_user(self, db: AsyncSession, user_id: uuid.UUID, ip: str) -> None:
        user = await self._account.user(db, user_id)
        if await self._account.mail_allowed("resend", user.email, ip):
            await self._resend(db, user, user.email)

    async def resend_to_address(self, db: AsyncSession, email: str, ip: str) -> None:
        email = addresses.normalize_email(email)
        if await self._account.mail_allowed("resend", email, ip):
            await self._resend(db, await users.get_by_email(db, email), email)

    async def _resend(self, db: AsyncSession, user: User | None, email: str) -> None:
        """A new link (older ones void) for an unverified account; for a verified or
        unknown address the same work and answer, nothing queued."""
        if user is not None and not user.email_verified:
            await self._mailer.verification(db, user)
            outcome = "sent"
        else:
            await self._mailer.nothing_to(db, Purpose.VERIFY_EMAIL, "verify_email")
            outcome = "not_needed" if user else "unknown"
        self._account.count("email_verify_resend", outcome)
        await record(
            db,
            Event.EMAIL_VERIFICATION_SENT,
            actor=str(user.id) if user else None,
            subject=email,
            details={"sent": outcome == "sent"},
        )

    async def request_change(
        self, db: AsyncSession, user_id: uuid.UUID, new_email: str, password: str, ip: str
    ) -> None:
        """A confirmation link to the new address, a notice to the old one."""
        user = await self._account.user(db, user_id)
        await self._account.auth.confirm_password(db, user, password, ip=ip, flow="email_change")
        new_email = addresses.normalize_email(new_email)
        if email_key(new_email) == user.email_key:
            raise ValidationFailed("new_email", "This is already the account's email")
        self._account.refuse_new_address("new_email", new_email)
        # Before the look-up: each try costs the same, whether the address is taken or not.
        limits = self._account.limits
        await self._account.limiter.reserve_counts(
            "email_change",
            {
                "account": (str(user.id), limits.email_changes_per_account),
                "address": (email_key(new_email), limits.email_changes_per_address),
            },
        )
        if await users.get_by_email(db, new_email) is not None:
            raise EmailTaken(_TAKEN)
        await self._mailer.email_change(db, user, new_email)
        logger.info("email change requested user=%s", user.id)
        self._account.count("email_change", "requested")
        await record(
            db,
            Event.EMAIL_CHANGE_REQUESTED,
            actor=str(user.id),
            subject=str(user.id),
            details={"from": user.email, "to": new_email},
        )

    async def confirm_change(self, db: AsyncSession, token: str) -> None:
        """The email becomes the confirmed address (verified); every other live link of the
        account dies, as they went to the old address."""
        flow = "email_change_confirm"
        row, user = await self._account.spend(db, token, Purpose.CHANGE_EMAIL, flow)
        old, was_verified = user.email, user.email_verified
        user.email, user.email_key = row.email, email_key(row.email)
        user.email_verified, user.updated_at = True, utcnow()
        try:
            async with db.begin_nested():
                await users.save(db, user)
        except IntegrityError as exc:  # the address was taken since the link was sent
            raise EmailTaken(_TAKEN) from exc
        await links.void_all(db, user.id, self._account.clock.now())
        await repository.remove_sign_ins(db, user.id, user.email_key)
        if not was_verified:
            await self._account.now_verified(db, user)
        self._account.count(flow, "done")
        await record(
            db,
            Event.EMAIL_CHANGED,
            actor=str(user.id),
            subject=str(user.id),
            details={"from": old, "to": user.email},
        )
