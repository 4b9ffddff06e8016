from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow


class LoginSession(SQLModel, table=True):
    """The durable record of a log-in: listing and revoking survive a Redis restart."""

    __tablename__ = "sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
    )
    last_used_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
    )
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    # When and how the user last proved who they are (RFC 9470 step-up; RFC 8176 `amr`):
    # set at log-in and by /reauth, carried over by every refresh, never renewed by one.
    auth_time: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    amr: list[str] = Field(
        default_factory=lambda: ["pwd"],
        sa_column=sa.Column(
            postgresql.ARRAY(sa.String(16)), nullable=False, server_default="{pwd}"
        ),
    )
    # An application's token family (OpenID Provider): its client and granted scope; the
    # browser's own sessions have neither.
    client_id: str | None = Field(default=None, max_length=64)
    scope: str | None = None
    user_agent: str = Field(default="", max_length=512)
    ip_address: str = Field(default="", max_length=64)
    revoked_at: datetime | None = Field(
        default=None,
        sa_type=sa.DateTime(timezone=True),
    )
    revoked_reason: str | None = Field(default=None, max_length=32)
    # The rotation ledger (sha256 of refresh-token ids): moved by one conditional UPDATE.
    current_jti_hash: str | None = Field(default=None, max_length=64)
    previous_jti_hash: str | None = Field(default=None, max_length=64)
    rotated_at: datetime | None = Field(
        default=None,
        sa_type=sa.DateTime(timezone=True),
    )
