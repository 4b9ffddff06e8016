"""Account lifecycle by mail: verified emails, single-use link tokens, and how and when a
session's user last proved who they are (`auth_time`, `amr`).

Sessions of before this revision take their creation as `auth_time` (a password log-in).

Revision ID: 0007_account_lifecycle
Revises: 0006_mail_outbox
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_account_lifecycle"
down_revision = "0006_mail_outbox"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("sessions", sa.Column("auth_time", TZ, nullable=True))
    op.execute("UPDATE sessions SET auth_time = created_at")
    op.alter_column("sessions", "auth_time", nullable=False)
    op.add_column(
        "sessions",
        sa.Column("amr", postgresql.ARRAY(sa.String(16)), nullable=False, server_default="{pwd}"),
    )
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
        sa.Column("replaced_at", TZ, nullable=True),
    )
    op.create_index("ux_account_tokens_hash", "account_tokens", ["token_hash"], unique=True)
    op.create_index("ix_account_tokens_user", "account_tokens", ["user_id", "purpose"])


def downgrade() -> None:
    op.drop_table("account_tokens")
    op.drop_column("sessions", "amr")
    op.drop_column("sessions", "auth_time")
    op.drop_column("users", "email_verified")
