from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow


class AuditEvent(SQLModel, table=True):
    """One security event. Append-only: nothing in the service updates or deletes them."""

    __tablename__ = "audit_events"

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    )
    at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True)
    event: str = Field(max_length=64, index=True)
    actor: str | None = Field(default=None, max_length=64)  # who did it: a user or client id
    subject: str | None = Field(default=None, max_length=320)  # what it was done to
    session_id: str | None = Field(default=None, max_length=64)
    ip_address: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    details: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=sa.Column(postgresql.JSONB, nullable=False, server_default="{}"),
    )
