"""One key per email address: `users.email_key`, unique, the only thing look-ups compare.

The key is computed in Python (`auth_service.users.addresses.email_key`: NFKC-casefolded
local part, the domain's IDNA form), not with PostgreSQL's `lower()`, which disagreed
with the service's `str.lower()` ("İ", a final "Σ"): one address could then hold two
accounts, and a look-up could miss its account. It replaces `ux_users_email_lower`.

Accounts that share a key now (made while the two foldings disagreed) are settled the
same way on every database: the one that keeps the address is the verified one, then the
oldest (`created_at`, then `id`); each other one keeps its row, sessions and email as
shown, with the key `duplicate <id>: <key>`, which no address folds to (upper case,
spaces), so no log-in, reset or sign-up finds it. Their ids are logged as a warning, for
an administrator to settle with their owners.

Revision ID: 0011_email_key
Revises: 0010_passkeys
"""

import logging
from typing import Any

import sqlalchemy as sa
from alembic import op
from auth_service.users.addresses import email_key

revision = "0011_email_key"
down_revision = "0010_passkeys"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

USERS = sa.table(
    "users",
    sa.column("id", sa.Uuid),
    sa.column("email", sa.String),
    sa.column("email_key", sa.Text),
)


def keys_for(rows: list[sa.Row[Any]]) -> dict[object, str]:
    """Each user's key, `rows` in the order that decides who keeps a shared one."""
    keys: dict[object, str] = {}
    holders: set[str] = set()
    for row in rows:
        key = email_key(row.email)
        keys[row.id] = key if key not in holders else f"duplicate {row.id}: {key}"
        holders.add(key)
    return keys


def upgrade() -> None:
    op.add_column("users", sa.Column("email_key", sa.Text, nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, email FROM users ORDER BY email_verified DESC, created_at, id")
    ).all()
    keys = keys_for(list(rows))
    duplicates = sorted(str(i) for i, key in keys.items() if key.startswith("duplicate "))
    if duplicates:
        logger.warning(
            "%d account(s) share an address with an older or verified one and can no "
            "longer be found by email: %s",
            len(duplicates),
            ", ".join(duplicates),
        )
    if keys:
        bind.execute(
            USERS.update().where(USERS.c.id == sa.bindparam("user_id")),
            [{"user_id": i, "email_key": key} for i, key in keys.items()],
        )
    op.alter_column("users", "email_key", nullable=False)
    op.drop_index("ux_users_email_lower", table_name="users")
    op.create_index("ux_users_email_key", "users", ["email_key"], unique=True)


def downgrade() -> None:
    # Fails where two accounts share lower(email) (the duplicates kept above).
    op.create_index("ux_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.drop_index("ux_users_email_key", table_name="users")
    op.drop_column("users", "email_key")
