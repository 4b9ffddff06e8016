"""The revocation feed's queries: append (serialized by the feed row's lock), read, prune."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

CHANNEL = "gatehouse_revocations"  # NOTIFY on commit wakes the long-polls of every replica


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    kind: str  # session | subject | client | token
    value: str
    not_before: int | None  # subject: tokens issued (iat) before this are refused
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Head:
    last_id: int
    pruned_through: int


async def append(db: AsyncSession, rows: list[tuple[str, str, int | None]], now: datetime) -> int:
    """Adds (kind, value, not_before) rows in the caller's transaction; returns the last id.

    The UPDATE takes the feed row's lock until this transaction ends, so a later append
    waits for this one's commit: ids commit in order and a reader never skips one.
    """
    if not rows:
        return 0
    result = await db.exec(
        text("UPDATE revocation_feed SET last_id = last_id + :n WHERE id = 1 RETURNING last_id"),  # type: ignore[call-overload]
        params={"n": len(rows)},
    )
    last_id = int(result.scalar_one())
    first = last_id - len(rows) + 1
    await db.exec(
        text(  # type: ignore[call-overload]
            "INSERT INTO revocations (id, kind, value, not_before, created_at) "
            "VALUES (:id, :kind, :value, :not_before, :now)"
        ),
        params=[
            {"id": first + i, "kind": kind, "value": value, "not_before": nbf, "now": now}
            for i, (kind, value, nbf) in enumerate(rows)
        ],
    )
    await db.exec(
        text("SELECT pg_notify(:channel, :id)"), params={"channel": CHANNEL, "id": str(last_id)}
    )  # type: ignore[call-overload]
    return last_id


async def head(db: AsyncSession) -> Head:
    result = await db.exec(text("SELECT last_id, pruned_through FROM revocation_feed WHERE id = 1"))  # type: ignore[call-overload]
    last_id, pruned_through = result.one()
    return Head(int(last_id), int(pruned_through))


def _entries(rows: Any) -> list[Entry]:
    return [Entry(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


async def after(db: AsyncSession, cursor: int, through: int, limit: int) -> list[Entry]:
    """Entries with cursor < id <= through (a committed head), oldest first."""
    result = await db.exec(
        text(  # type: ignore[call-overload]
            "SELECT id, kind, value, not_before, created_at FROM revocations "
            "WHERE id > :cursor AND id <= :through ORDER BY id LIMIT :limit"
        ),
        params={"cursor": cursor, "through": through, "limit": limit},
    )
    return _entries(result.all())


async def prune(db: AsyncSession, before: datetime) -> int:
    """Deletes the entries created before `before`; returns how many."""
    result = await db.exec(
        text("DELETE FROM revocations WHERE created_at < :before RETURNING id"),  # type: ignore[call-overload]
        params={"before": before},
    )
    ids = [int(row[0]) for row in result.all()]
    if ids:
        await db.exec(
            text(  # type: ignore[call-overload]
                "UPDATE revocation_feed SET pruned_through = GREATEST(pruned_through, :id) "
                "WHERE id = 1"
            ),
            params={"id": max(ids)},
        )
    return len(ids)


async def denies(
    db: AsyncSession, *, sid: str | None, jti: str | None, client_id: str | None, sub: str, iat: int
) -> bool:
    """Whether a live entry refuses a token with these claims (for introspection)."""
    result = await db.exec(
        text(  # type: ignore[call-overload]
            "SELECT 1 FROM revocations WHERE (kind = 'session' AND value = :sid) "
            "OR (kind = 'token' AND value = :jti) OR (kind = 'client' AND value = :client) "
            "OR (kind = 'subject' AND value = :sub AND not_before > :iat) LIMIT 1"
        ),
        params={
            "sid": sid or "",
            "jti": jti or "",
            "client": client_id or "",
            "sub": sub,
            "iat": iat,
        },
    )
    return result.first() is not None


async def client_holds_scope(db: AsyncSession, client_id: str, scope: str) -> bool:
    """Read here, not through the clients slice: that slice appends to this feed."""
    result = await db.exec(
        text(  # type: ignore[call-overload]
            "SELECT 1 FROM oauth_clients WHERE client_id = :id AND :scope = ANY(scopes)"
        ),
        params={"id": client_id[:64], "scope": scope},
    )
    return result.first() is not None
