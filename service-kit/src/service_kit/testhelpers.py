"""Helpers for a service's tests: the app-client type, a migrated database, emptying it.

Apart from the pytest plugin (`service_kit.testing`) so that a conftest can import them
before pytest loads the plugin.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from typing import Protocol

import asyncpg
import httpx

BASE_URL = "http://localhost:8080"

AppClient = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


class DatabaseServer(Protocol):
    """What `migrated_database` needs of a server (devstack's `Postgres` has it)."""

    def create_database(self, name: str) -> None: ...

    def url(self, database: str) -> str: ...


def migrated_database(server: DatabaseServer, name: str, upgrade: Callable[[str], None]) -> str:
    """A fresh database `name` on `server`, migrated to head by `upgrade`: its URL."""
    server.create_database(name)
    url = str(server.url(name))
    upgrade(url)
    return url


async def truncate(database_url: str, tables: Iterable[str]) -> None:
    """Empties `tables` (and what references them) in one statement."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await connection.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    finally:
        await connection.close()


# What `truncate_all` never empties: Alembic's record of the schema's revision.
MIGRATIONS_TABLE = "alembic_version"


async def truncate_all(database_url: str, keep: Iterable[str] = ()) -> None:
    """Empties every table of the migrated schema but Alembic's and `keep` (tables whose
    rows a migration seeds): a table a new migration adds is emptied without a list to
    update. The schema is read from PostgreSQL each time, and empty tables cost little."""
    kept = [MIGRATIONS_TABLE, *keep]
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "SELECT quote_ident(tablename) AS name FROM pg_tables"
            " WHERE schemaname = current_schema() AND NOT tablename = ANY($1::text[])",
            kept,
        )
        if rows:
            names = ", ".join(row["name"] for row in rows)
            await connection.execute(f"TRUNCATE {names} CASCADE")
    finally:
        await connection.close()


async def assert_docs_are_self_hosted(client: httpx.AsyncClient, prefix: str) -> None:
    """The docs page at `<prefix>/docs` loads Swagger UI from the service itself: every
    asset under `<prefix>/docs/static/` and served, no inline script or style."""
    page = await client.get(f"{prefix}/docs")
    assert page.status_code == 200
    assert f'data-openapi-url="{prefix}/openapi.json"' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    assert all(asset.startswith(f"{prefix}/docs/static/") for asset in assets), assets
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "an inline script"
    assert "<style" not in page.text
    for asset in assets:
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.content, asset
