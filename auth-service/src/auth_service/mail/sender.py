"""The sender: a background task of each replica that delivers due mails, retrying a
failed delivery with a growing, jittered delay, and giving up (bodies emptied, audited)
on a permanent refusal or after a day. It is woken when this process adds a mail
and polls otherwise, so mails added by other replicas go out too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import timedelta

import aiosmtplib
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record
from auth_service.mail import outbox
from auth_service.mail.models import OutboxMail
from auth_service.mail.smtp import SmtpServer
from auth_service.timeutil import Clock, SystemClock

logger = logging.getLogger("auth_service.mail")

LEASE_SECONDS = 60.0  # longer than one SMTP delivery may take (its timeout is 10 s)
BATCH = 20
MAX_BACKOFF = 300.0
# The longest link's lifetime (verification): a mail still undelivered then is given up.
GIVE_UP_AFTER = timedelta(hours=24)


def failure_of(error: Exception) -> tuple[str, bool]:
    """What the row and the log say of a failed delivery (the type and the SMTP code: the
    relay's text may name the address), and whether it is for good: a 5xx refusal of the
    recipient or of the message, or an address the relay cannot take (no SMTPUTF8).
    Anything else (the relay down, a 4xx, a refused log-in or sender, which are the
    relay's set-up and not this mail's) is retried."""
    name = type(error).__name__
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        return f"{name} {','.join(map(str, codes))}", all(500 <= c < 600 for c in codes)
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return name, "SMTPUTF8" in str(error)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        permanent = isinstance(error, aiosmtplib.SMTPDataError) and 500 <= error.code < 600
        return f"{name} {error.code}", permanent
    return name, False


def retry_delay(attempts: int) -> float:
    """1, 2, 4 … seconds after the 1st, 2nd, 3rd failure, at most 5 minutes, ±20 %."""
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts)) * random.uniform(0.8, 1.2)  # noqa: S311


class MailSender:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        smtp: SmtpServer,
        sender: str,
        poll_interval: float = 2.0,
        on_result: Callable[[str], None] | None = None,
        give_up_after: timedelta = GIVE_UP_AFTER,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._give_up_after = give_up_after
        self._sessionmaker = sessionmaker
        self._smtp = smtp
        self._sender = sender
        self._poll_interval = poll_interval
        self._on_result = on_result or (lambda _: None)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """A mail was added in this process: deliver it now rather than at the next poll."""
        self._wake.set()

    async def deliver_due(self) -> int:
        """Deliver every mail that is due now; return how many were delivered."""
        delivered = 0
        while not self._stopping:
            async with self._sessionmaker() as db, db.begin():
                batch = await outbox.claim_due(db, self._clock.now(), LEASE_SECONDS, BATCH)
            if not batch:
                return delivered
            for mail in batch:  # a mail left by a stop is due again when its lease ends
                if self._stopping:
                    break
                assert mail.id is not None
                try:
                    await self._smtp.send(self._sender, mail)
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                    await self._failed(mail, error)
                    continue
                async with self._sessionmaker() as db, db.begin():
                    await outbox.mark_sent(db, mail.id, self._clock.now())
                logger.info("mail %s (%s) delivered", mail.id, mail.kind)
                self._on_result("sent")
                delivered += 1
        return delivered

    async def _failed(self, mail: OutboxMail, error: Exception) -> None:
        """Retried later, or given up: refused for good, or undelivered for too long."""
        assert mail.id is not None
        reason, permanent = failure_of(error)
        now = self._clock.now()
        # The mail's id and kind only: its address and bodies stay out of logs.
        if permanent or now - mail.created_at > self._give_up_after:
            async with self._sessionmaker() as db, db.begin():
                await outbox.give_up(db, mail.id, now, reason)
                await record(
                    db,
                    Event.MAIL_GIVEN_UP,
                    subject=mail.to_address,
                    details={"mail": mail.id, "kind": mail.kind, "reason": reason},
                )
            logger.warning("mail %s (%s) given up (%s)", mail.id, mail.kind, reason)
            self._on_result("given_up")
            return
        delay = retry_delay(mail.attempts)
        async with self._sessionmaker() as db, db.begin():
            await outbox.mark_failed(db, mail.id, now + timedelta(seconds=delay), reason)
        logger.warning(
            "mail %s (%s) not delivered (%s); retrying in %.0f s",
            *(mail.id, mail.kind, reason, delay),
        )
        self._on_result("failed")

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.deliver_due()
            except Exception:  # the database away: try again at the next round
                logger.warning("the mail sender could not reach the outbox", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            self._wake.clear()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail-sender")

    async def stop(self, grace: float = 2.0) -> None:
        """Finish the mail in hand, then stop; cancelled only after `grace` seconds (a task
        cancelled inside a database call can leave its pooled connection hanging)."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        _, pending = await asyncio.wait({self._task}, timeout=grace)
        if pending:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
