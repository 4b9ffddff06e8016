from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from service_kit.db import fetchrow
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients.models import OAuthClient

_BOOTSTRAP_LOCK_ID = 0x636C6E74  # "clnt"


async def get(db: AsyncSession, client_id: str) -> OAuthClient | None:
    return await db.get(OAuthClient, client_id)


_APP_ROW = (
    "SELECT client_id, name, scopes, redirect_uris, post_logout_redirect_uris, grant_types, "
    "token_endpoint_auth_method, first_party, require_pushed_authorization_requests, "
    "secret_hash, dynamically_registered FROM oauth_clients WHERE client_id = $1"
)


async def app_row(db: AsyncSession, client_id: str) -> Any | None:
    """What the authorization and token endpoints read of a client, in one prepared
    statement (no ORM, and no BEGIN when it is the request's first statement): it runs at
    every step of an authorization flow."""
    return await fetchrow(db, _APP_ROW, client_id)


async def credentials_of(
    db: AsyncSession, client_id: str
) -> tuple[str | None, list[str], list[str]] | None:
    """(secret hash, scopes, grant types) of a client: the token endpoint's one statement."""
    row = await fetchrow(
        db,
        "SELECT secret_hash, scopes, grant_types FROM oauth_clients WHERE client_id = $1",
        client_id,
    )
    return None if row is None else (row[0], list(row[1]), list(row[2]))


async def add(db: AsyncSession, client: OAuthClient) -> None:
    db.add(client)
    await db.flush()


async def all_clients(db: AsyncSession) -> list[OAuthClient]:
    query = select(OAuthClient).order_by(col(OAuthClient.created_at))
    return list((await db.exec(query)).all())


async def delete(db: AsyncSession, client: OAuthClient) -> None:
    await db.delete(client)
    await db.flush()


async def lock_bootstrap(db: AsyncSession) -> None:
    """Held until the transaction ends: replicas starting together ensure the bootstrap
    client one after the other."""
    lock = sa.text(f"SELECT pg_advisory_xact_lock({_BOOTSTRAP_LOCK_ID})")
    await db.exec(lock)  # type: ignore[call-overload]
