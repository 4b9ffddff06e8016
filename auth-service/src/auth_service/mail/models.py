from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow


class OutboxMail(SQLModel, table=True):
    """One message to deliver. Its bodies may carry a live token (a reset link): they are
    emptied once the message is delivered or given up, and never logged."""

    __tablename__ = "mail_outbox"

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    kind: str = Field(max_length=64)  # the template: reset_password, verify_email, …
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=255)
    text_body: str = Field(sa_type=sa.Text)
    html_body: str = Field(sa_type=sa.Text)
    attempts: int = Field(default=0)
    # When the sender may next try it: now for a new message, later after a failure, and
    # a lease while a sender holds it (a sender that dies mid-send is retried after it).
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # Given up: the relay refused it for good (5xx), or it stayed undelivered too long.
    failed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=255)
