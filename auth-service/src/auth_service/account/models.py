from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow


class AccountToken(SQLModel, table=True):
    """The token of a mailed link (reset, verification, email change), as its sha256 only.

    Spent rows are kept until they expire, so a second use is told apart from a garbage
    token ("this link was already used")."""

    __tablename__ = "account_tokens"

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    )
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    purpose: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    # The address the link was mailed to: for an email change, the new address.
    email: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # A newer link of the same purpose voided this one.
    replaced_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class EmailSignIn(SQLModel, table=True):
    """The live sign-in link and code mailed to one address: one row per address (a new
    request overwrites it), the token as its sha256 and the code as a keyed hash only.

    `user_id` is NULL for an address without an account (`AUTH_EMAIL_SIGNUP`): the account
    is made on the first successful use."""

    __tablename__ = "email_sign_ins"

    email_key: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True),
    )
    email: str = Field(max_length=320)
    token_hash: str = Field(max_length=64, unique=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    failures: int = Field(default=0)
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
