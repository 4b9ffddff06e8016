"""The sender: a background task of each replica that delivers due mails, retrying a
failed delivery with a growing, jittered delay. It is woken when this process adds a mail
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

from auth_service.mail import outbox
from auth_service.mail.smtp import SmtpServer
from auth_service.timeutil import utcnow

logger = logging.getLogger("auth_service.mail")

LEASE_SECONDS = 60.0  # longer than one SMTP delivery may take (its timeout is 10 s)
BATCH = 20
MAX_BACKOFF = 300.0


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
    ) -> None:
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
                batch = await outbox.claim_due(db, utcnow(), LEASE_SECONDS, BATCH)
            if not batch:
                return delivered
            for mail in batch:  # a mail left by a stop is due again when its lease ends
                if self._stopping:
                    break
                assert mail.id is not None
                try:
                    await self._smtp.send(self._sender, mail)
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                    delay = retry_delay(mail.attempts)
                    async with self._sessionmaker() as db, db.begin():
                        retry_at = utcnow() + timedelta(seconds=delay)
                        await outbox.mark_failed(db, mail.id, retry_at, type(error).__name__)
                    # The mail's id and kind only: its address and bodies stay out of logs.
                    reason = type(error).__name__
                    logger.warning(
                        "mail %s (%s) not delivered (%s); retrying in %.0f s",
                        *(mail.id, mail.kind, reason, delay),
                    )
                    self._on_result("failed")
                    continue
                async with self._sessionmaker() as db, db.begin():
                    await outbox.mark_sent(db, mail.id, utcnow())
                logger.info("mail %s (%s) delivered", mail.id, mail.kind)
                self._on_result("sent")
                delivered += 1
        return delivered

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
