"""The Alembic runner of a service's migrations, shared by every service.

A service's `migrations` package holds its `versions/` and an `env.py` that calls
`run_env(lock_id)`; `upgrade(here, url)` applies them (`<service> migrate`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`. Synchronous: it runs its own event loop."""
    command.upgrade(alembic_config(script_location, database_url), revision)


def run_env(lock_id: int, version_table: str = "alembic_version") -> None:
    """The body of a service's `env.py`: its migrations over the async (asyncpg) engine.

    `lock_id` (a PostgreSQL advisory lock, one per service) serialises concurrent
    `migrate` runs, such as several replicas starting at once.
    """

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=None,
            compare_type=True,
            version_table=version_table,
        )
        with context.begin_transaction():
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(lock_id)})")
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "")
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(run_async())
