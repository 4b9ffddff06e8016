"""The account mails: rendered from the templates and written to the outbox inside the
request's transaction (a mail exists exactly when the token it carries does)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account import links
from auth_service.account.links import LIFETIMES, PAGES, Purpose
from auth_service.mail import outbox
from auth_service.mail.templates import MailTemplates, RenderedMail
from auth_service.timeutil import Clock
from auth_service.users.models import User

FORGOT_PAGE = "/forgot-password"


# The address of the mail an unknown email's request writes and rolls back.
NOBODY = "nobody@invalid"


class AccountMailer:
    def __init__(self, templates: MailTemplates, public_base: str, clock: Clock) -> None:
        self._templates, self._base, self.clock = templates, public_base, clock

    def link(self, purpose: Purpose, token: str) -> str:
        return self.page_link(PAGES[purpose], token)

    def page_link(self, page: str, token: str) -> str:
        """The web app's `page`, with the token in the fragment (never sent to a server)."""
        return f"{self._base}{page}#token={token}"

    @property
    def forgot_link(self) -> str:
        return f"{self._base}{FORGOT_PAGE}"

    def render(self, kind: str, **values: Any) -> RenderedMail:
        return self._templates.render(kind, **values)

    async def queue(self, db: AsyncSession, to: str, kind: str, **values: Any) -> None:
        await outbox.add(db, to, self.render(kind, **values))

    async def security_notice(self, db: AsyncSession, to: str, kind: str, **values: Any) -> None:
        """A change to the account's second factors (`SecurityNotices`), with the link to
        reset the password should it not be the owner's doing."""
        await self.queue(db, to, kind, link=self.forgot_link, **values)

    def _lifetime(self, purpose: Purpose) -> dict[str, int]:
        seconds = int(LIFETIMES[purpose].total_seconds())
        return {"minutes": seconds // 60, "hours": seconds // 3600}

    async def reset_link(self, db: AsyncSession, user: User) -> None:
        token = await links.issue(db, user.id, Purpose.RESET_PASSWORD, user.email, self.clock.now())
        link = self.link(Purpose.RESET_PASSWORD, token)
        minutes = self._lifetime(Purpose.RESET_PASSWORD)["minutes"]
        await self.queue(db, user.email, "reset_password", link=link, minutes=minutes)

    async def verification(self, db: AsyncSession, user: User) -> None:
        token = await links.issue(db, user.id, Purpose.VERIFY_EMAIL, user.email, self.clock.now())
        link = self.link(Purpose.VERIFY_EMAIL, token)
        hours = self._lifetime(Purpose.VERIFY_EMAIL)["hours"]
        await self.queue(db, user.email, "verify_email", link=link, hours=hours)

    async def email_change(self, db: AsyncSession, user: User, new_email: str) -> None:
        token = await links.issue(db, user.id, Purpose.CHANGE_EMAIL, new_email, self.clock.now())
        link = self.link(Purpose.CHANGE_EMAIL, token)
        minutes = self._lifetime(Purpose.CHANGE_EMAIL)["minutes"]
        await self.queue(db, new_email, "email_change_confirm", link=link, minutes=minutes)
        await self.queue(db, user.email, "email_change_notice", new_email=new_email)

    async def already_registered(self, db: AsyncSession, email: str) -> None:
        """Instead of a verification link (a sign-up with a taken email): the token work of
        one, so that the two sign-ups take about as long."""
        await links.issue_for_nobody(db, Purpose.VERIFY_EMAIL, self.clock.now())
        await self.queue(db, email, "account_exists", link=self.forgot_link)

    async def nothing_to(self, db: AsyncSession, purpose: Purpose, kind: str) -> None:
        """The work of a link mail for an email without an account, nothing kept: the
        answer is the same and takes about as long (the mail is rendered and written, in
        a savepoint that is rolled back)."""
        token = await links.issue_for_nobody(db, purpose, self.clock.now())
        mail = self.render(kind, link=self.link(purpose, token), **self._lifetime(purpose))
        async with db.begin_nested() as savepoint:
            await outbox.add(db, NOBODY, mail)
            await savepoint.rollback()
