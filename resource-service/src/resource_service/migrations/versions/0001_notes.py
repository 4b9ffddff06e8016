"""The notes table.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("owner_sub", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False, server_default=""),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        # The API checks these too; the database is the last line.
        sa.CheckConstraint("char_length(title) BETWEEN 1 AND 200", name="notes_title_length"),
        sa.CheckConstraint("char_length(body) <= 10000", name="notes_body_length"),
    )
    # A caller's notes, newest first: the list query walks this index.
    op.create_index("ix_notes_owner_created", "notes", ["owner_sub", sa.text("created_at DESC")])


def downgrade() -> None:
    op.drop_index("ix_notes_owner_created", table_name="notes")
    op.drop_table("notes")
