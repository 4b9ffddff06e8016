"""Alembic migrations of the auth service's schema, applied by `auth-service migrate`."""

from __future__ import annotations

from pathlib import Path

from service_kit import migrations

HERE = Path(__file__).parent
# Serialises concurrent `migrate` runs (several replicas starting at once).
MIGRATION_LOCK_ID = 0x6761746568  # "gateh"


def upgrade(database_url: str, revision: str = "head") -> None:
    migrations.upgrade(HERE, database_url, revision)
