from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from auth_service.timeutil import utcnow

ACCESS = "access"  # RS256 key pair: signs access tokens, published in the JWKS
REFRESH = "refresh"  # HMAC secret: signs refresh tokens, never leaves the service


class SigningKey(SQLModel, table=True):
    """A key, its secret part sealed under the key-encryption key.

    Lifecycle: published from `created_at`, signs from `activates_at`, stops signing at
    `retires_at`, and leaves the JWKS at `expires_at` (when all it signed has expired).
    A revoked key (`revoked_at`) stopped signing and left the JWKS at that moment.
    There is no public-key column: the public key is derived from the private one, and the
    seal binds `kid`, `algorithm` and `use` (security/encryption.py).
    """

    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=64)
    use: str = Field(max_length=16, index=True)
    algorithm: str = Field(max_length=16)
    sealed_secret: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
    )
    activates_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
    )
    retires_at: datetime | None = Field(
        default=None,
        sa_type=sa.DateTime(timezone=True),
    )
    expires_at: datetime | None = Field(
        default=None,
        sa_type=sa.DateTime(timezone=True),
    )
    revoked_at: datetime | None = Field(
        default=None,
        sa_type=sa.DateTime(timezone=True),
    )
