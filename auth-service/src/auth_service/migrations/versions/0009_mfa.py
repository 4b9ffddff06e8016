"""Second factors: TOTP seeds (sealed), recovery codes (keyed hashes), and the log-ins
waiting for their second step (`mfa_token`, as its sha256).

Revision ID: 0009_mfa
Revises: 0008_revocations
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_mfa"
down_revision = "0008_revocations"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _user_id(*, primary_key: bool = False) -> sa.Column[object]:
    return sa.Column(
        "user_id",
        sa.Uuid,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "mfa_totp",
        _user_id(primary_key=True),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("confirmed_at", TZ, nullable=True),
        sa.Column("last_step", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "mfa_recovery_codes",
        _user_id(primary_key=True),
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "mfa_challenges",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _user_id(),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("used_at", TZ, nullable=True),
    )
    op.create_index("ix_mfa_challenges_user", "mfa_challenges", ["user_id"])
    op.create_index("ix_mfa_challenges_expires", "mfa_challenges", ["expires_at"])


def downgrade() -> None:
    op.drop_table("mfa_challenges")
    op.drop_table("mfa_recovery_codes")
    op.drop_table("mfa_totp")
