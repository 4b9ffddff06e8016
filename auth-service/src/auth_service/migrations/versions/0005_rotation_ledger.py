"""The rotation ledger: each session's current refresh-token id and the one it replaced.

Only sha256 hashes of the ids are stored, with the time of the last rotation. Sessions of
before this revision have no current hash: their first refresh adopts the token it presents
(Redis still holds their spent marks until they expire).

Revision ID: 0005_rotation_ledger
Revises: 0004_keys_admin
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_rotation_ledger"
down_revision = "0004_keys_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("current_jti_hash", sa.String(64), nullable=True))
    op.add_column("sessions", sa.Column("previous_jti_hash", sa.String(64), nullable=True))
    op.add_column("sessions", sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True))
    # Recently revoked sessions are read back into Redis after it lost its data.
    op.create_index(
        "ix_sessions_revoked_at",
        "sessions",
        ["revoked_at"],
        postgresql_where=sa.text("revoked_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_revoked_at", table_name="sessions")
    op.drop_column("sessions", "rotated_at")
    op.drop_column("sessions", "previous_jti_hash")
    op.drop_column("sessions", "current_jti_hash")
