"""Mail the sender gave up on: `mail_outbox.failed_at`, and no longer due.

A relay's permanent refusal (5xx), an address it cannot take, or a day without delivery
ends the retries: the bodies (a live link, perhaps) are emptied and `failed_at` is set.
Mails of before this revision that are still unsent keep being tried, within that day.

Revision ID: 0012_mail_given_up
Revises: 0011_email_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_mail_given_up"
down_revision = "0011_email_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mail_outbox", sa.Column("failed_at", sa.DateTime(timezone=True)))
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.create_index(
        "ix_mail_outbox_due",
        "mail_outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.create_index(
        "ix_mail_outbox_due",
        "mail_outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.drop_column("mail_outbox", "failed_at")
