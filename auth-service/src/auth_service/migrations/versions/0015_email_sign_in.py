"""Sign-in codes by mail: the live link and code of each address; the first factor of a
log-in waiting for its second (`pwd`, or `email` for a mailed code).

Revision ID: 0015_email_sign_in
Revises: 0014_client_registration
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_email_sign_in"
down_revision = "0014_client_registration"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_sign_ins",
        sa.Column("email_key", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("used_at", _WHEN),
    )
    op.create_index("ix_email_sign_ins_user_id", "email_sign_ins", ["user_id"])
    op.add_column(
        "mfa_challenges",
        sa.Column("first_factor", sa.String(16), nullable=False, server_default="pwd"),
    )


def downgrade() -> None:
    op.drop_column("mfa_challenges", "first_factor")
    op.drop_table("email_sign_ins")
