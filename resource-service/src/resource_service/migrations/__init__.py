"""Alembic migrations of the resource service's schema, applied by `resource-service migrate`."""

from __future__ import annotations

from pathlib import Path

from service_kit import migrations

HERE = Path(__file__).parent
# Its own version table: the service's schema history stays apart even in a shared database.
VERSION_TABLE = "resource_service_alembic_version"
# Serialises concurrent `migrate` runs (several replicas starting at once).
MIGRATION_LOCK_ID = 0x7265736F75  # "resou"


def upgrade(database_url: str, revision: str = "head") -> None:
    migrations.upgrade(HERE, database_url, revision)
