"""The revocation feed: what ended access before its tokens expire, for resource servers.

`revocation_feed` has one row: `last_id` (the feed's cursor) and `pruned_through` (the
highest id already pruned). Appending updates that row first, so its row lock serializes
appends until their commit: ids are gapless and commit in order, and a reader that has
passed an id can never later find a lower one committed.

Revision ID: 0008_revocations
Revises: 0007_account_lifecycle
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_revocations"
down_revision = "0007_account_lifecycle"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "revocation_feed",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("pruned_through", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="revocation_feed_one_row"),
    )
    op.execute("INSERT INTO revocation_feed (id, last_id, pruned_through) VALUES (1, 0, 0)")
    op.create_table(
        "revocations",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("not_before", sa.BigInteger, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_revocations_created_at", "revocations", ["created_at"])
    op.create_index("ix_revocations_kind_value", "revocations", ["kind", "value"])


def downgrade() -> None:
    op.drop_table("revocations")
    op.drop_table("revocation_feed")
