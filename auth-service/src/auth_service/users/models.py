from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from auth_service.scopes import ADMIN_ROLE
from auth_service.timeutil import utcnow

__all__ = ["ADMIN_ROLE", "User"]


class User(SQLModel, table=True):
    __tablename__ = "users"
    # One account per address however it is spelt: "Ann@x.org" and "ann@x.org", "İ" and
    # "i̇" share a key (users.addresses.email_key), the only thing look-ups compare.
    __table_args__ = (sa.Index("ux_users_email_key", "email_key", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320)
    email_key: str = Field(sa_type=sa.Text)
    password_hash: str = Field(max_length=255)
    email_verified: bool = Field(default=False)
    roles: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.ARRAY(sa.String(64)), nullable=False, server_default="{}"),
    )
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
    )

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles
