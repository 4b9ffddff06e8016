from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow


class Passkey(SQLModel, table=True):
    """A user's WebAuthn credential: its id and public key (COSE), never a secret."""

    __tablename__ = "passkeys"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    credential_id: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False, unique=True))
    public_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    # The authenticator's signature counter as last seen; 0 for one that does not count.
    sign_count: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    transports: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.ARRAY(sa.String(32)), nullable=False, server_default="{}"),
    )
    name: str = Field(max_length=64)
    aaguid: str = Field(max_length=36)
    # Backup eligible (a synced passkey) and backed up: shown to the user, never trusted.
    backup_eligible: bool = False
    backed_up: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
