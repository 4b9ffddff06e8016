"""Consents: what a person allowed an application, per user and client (PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from service_kit.db import fetchrow
from sqlmodel.ext.asyncio.session import AsyncSession


async def scopes_of(db: AsyncSession, user_id: uuid.UUID, client_id: str) -> set[str]:
    row: Any = await fetchrow(
        db,
        "SELECT scopes FROM oidc_consents WHERE user_id = $1 AND client_id = $2",
        user_id,
        client_id,
    )
    return set() if row is None else set(row[0])


async def allow(
    db: AsyncSession, user_id: uuid.UUID, client_id: str, scopes: list[str], now: datetime
) -> None:
    """Adds `scopes` to what the person allowed the client (asked again only for new ones)."""
    await fetchrow(
        db,
        "INSERT INTO oidc_consents (user_id, client_id, scopes, granted_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, client_id) DO UPDATE SET "
        "scopes = ARRAY(SELECT DISTINCT unnest(oidc_consents.scopes || EXCLUDED.scopes)), "
        "granted_at = EXCLUDED.granted_at",
        user_id,
        client_id,
        scopes,
        now,
    )


async def of_user(db: AsyncSession, user_id: uuid.UUID) -> list[Any]:
    """(client_id, name, scopes, granted_at) of the person's consents and live grants."""
    result = await db.exec(  # type: ignore[call-overload]
        sa.text(
            "SELECT c.client_id, c.name, COALESCE(k.scopes, '{}'), "
            "COALESCE(k.granted_at, MIN(s.created_at)) FROM oauth_clients c "
            "LEFT JOIN oidc_consents k ON k.client_id = c.client_id AND k.user_id = :u "
            "LEFT JOIN sessions s ON s.client_id = c.client_id AND s.user_id = :u "
            "AND s.revoked_at IS NULL AND s.expires_at > now() "
            "WHERE k.user_id IS NOT NULL OR s.id IS NOT NULL "
            "GROUP BY c.client_id, c.name, k.scopes, k.granted_at ORDER BY c.name"
        ),
        params={"u": user_id},
    )
    return list(result.all())


async def withdraw(db: AsyncSession, user_id: uuid.UUID, client_id: str) -> bool:
    row = await fetchrow(
        db,
        "DELETE FROM oidc_consents WHERE user_id = $1 AND client_id = $2 RETURNING 1",
        user_id,
        client_id,
    )
    return row is not None
