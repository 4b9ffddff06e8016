from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow


def _texts(default: str = "{}") -> sa.Column[list[str]]:
    return sa.Column(postgresql.ARRAY(sa.Text), nullable=False, server_default=default)


class OAuthClient(SQLModel, table=True):
    """A client: a service (client credentials) or an application that signs its users in
    (authorization code). Only a hash of its secret is kept; a public client has none."""

    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    secret_hash: str | None = Field(default=None, max_length=128)
    scopes: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.ARRAY(sa.String(64)), nullable=False, server_default="{}"),
    )
    redirect_uris: list[str] = Field(default_factory=list, sa_column=_texts())
    post_logout_redirect_uris: list[str] = Field(default_factory=list, sa_column=_texts())
    grant_types: list[str] = Field(
        default_factory=lambda: ["client_credentials"], sa_column=_texts("{client_credentials}")
    )
    token_endpoint_auth_method: str = Field(default="client_secret_basic", max_length=32)
    first_party: bool = False
    require_pushed_authorization_requests: bool = False
    # Registered by the application itself (RFC 7591), not by an administrator.
    dynamically_registered: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
