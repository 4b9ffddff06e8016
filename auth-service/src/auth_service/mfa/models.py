"""The second factors' tables (migration 0009_mfa)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow


def _user_column(*, primary_key: bool = False) -> sa.Column[uuid.UUID]:
    return sa.Column(
        sa.Uuid,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


class TotpFactor(SQLModel, table=True):
    """A user's authenticator app: its seed (sealed), whether the user confirmed it, and
    the last time step a code was accepted for (each code is accepted once only)."""

    __tablename__ = "mfa_totp"

    user_id: uuid.UUID = Field(sa_column=_user_column(primary_key=True))
    secret_sealed: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    # NULL while the enrolment is pending: log-in does not ask for a code until then.
    confirmed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_step: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))


class RecoveryCode(SQLModel, table=True):
    """One unused recovery code, as its keyed hash; a use deletes it."""

    __tablename__ = "mfa_recovery_codes"

    user_id: uuid.UUID = Field(sa_column=_user_column(primary_key=True))
    code_hash: str = Field(max_length=64, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class MfaChallenge(SQLModel, table=True):
    """A log-in waiting for its second factor: the `mfa_token`, as its sha256 only."""

    __tablename__ = "mfa_challenges"

    token_hash: str = Field(max_length=64, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=_user_column())
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    failures: int = Field(default=0)
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # The `amr` of the first step, proved already: `pwd`, or `email` (a mailed code).
    first_factor: str = Field(
        default="pwd", sa_column=sa.Column(sa.String(16), nullable=False, server_default="pwd")
    )
