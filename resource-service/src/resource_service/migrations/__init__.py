"""Alembic migrations of the resource service's schema, applied by `resource-service migrate`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent
# Its own version table: the service's schema history stays apart even in a shared database.
VERSION_TABLE = "resource_service_alembic_version"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`. Synchronous: it runs its own event loop."""
    command.upgrade(alembic_config(database_url), revision)
