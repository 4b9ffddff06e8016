"""The outbox: the only place with the mail queries. A mail is added inside the request's
transaction (it exists exactly when the token it carries does); a sender claims due mails
with a lease, so any number of replicas deliver each mail once in the normal case."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.mail.models import OutboxMail
from auth_service.mail.templates import RenderedMail


async def add(db: AsyncSession, to_address: str, mail: RenderedMail) -> OutboxMail:
    row = OutboxMail(
        kind=mail.kind,
        to_address=to_address,
        subject=mail.subject,
        text_body=mail.text,
        html_body=mail.html,
    )
    db.add(row)
    await db.flush()
    return row


async def claim_due(db: AsyncSession, now: datetime, lease: float, limit: int) -> list[OutboxMail]:
    """Due mails, leased to this sender until `now + lease` (other senders skip them)."""
    due = (
        select(OutboxMail.id)
        .where(
            col(OutboxMail.sent_at).is_(None),
            col(OutboxMail.failed_at).is_(None),
            col(OutboxMail.next_attempt_at) <= now,
        )
        .order_by(col(OutboxMail.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        sa.update(OutboxMail)
        .where(col(OutboxMail.id).in_(due.scalar_subquery()))
        .values(next_attempt_at=now + timedelta(seconds=lease))
        .returning(OutboxMail)
    )
    return list((await db.exec(claimed)).scalars().all())


async def mark_sent(db: AsyncSession, mail_id: int, now: datetime) -> None:
    # The bodies may hold a live token: once delivered, the outbox keeps no copy.
    await db.exec(
        sa.update(OutboxMail)
        .where(col(OutboxMail.id) == mail_id)
        .values(sent_at=now, text_body="", html_body="", last_error=None)
    )


async def mark_failed(db: AsyncSession, mail_id: int, retry_at: datetime, error: str) -> None:
    await db.exec(
        sa.update(OutboxMail)
        .where(col(OutboxMail.id) == mail_id)
        .values(
            attempts=OutboxMail.attempts + 1,
            next_attempt_at=retry_at,
            last_error=error[:255],
        )
    )


async def give_up(db: AsyncSession, mail_id: int, now: datetime, error: str) -> None:
    """Never to be sent: the bodies (a live link, perhaps) go, the row stays as a record."""
    await db.exec(
        sa.update(OutboxMail)
        .where(col(OutboxMail.id) == mail_id)
        .values(
            attempts=OutboxMail.attempts + 1,
            failed_at=now,
            text_body="",
            html_body="",
            last_error=error[:255],
        )
    )


async def pending_count(db: AsyncSession) -> int:
    query = (
        select(sa.func.count())
        .select_from(OutboxMail)
        .where(col(OutboxMail.sent_at).is_(None), col(OutboxMail.failed_at).is_(None))
    )
    return int((await db.exec(query)).one())
