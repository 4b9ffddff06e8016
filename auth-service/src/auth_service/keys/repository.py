from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.keys.models import SigningKey

_KEY_CREATION_LOCK_ID = 0x6B657973  # "keys"


async def live_keys(db: AsyncSession, now: datetime) -> list[SigningKey]:
    """Every key still published or still needed to verify a live token."""
    query = select(SigningKey).where(
        or_(col(SigningKey.expires_at).is_(None), col(SigningKey.expires_at) > now)
    )
    return list((await db.exec(query)).all())


async def lock_key_creation(db: AsyncSession) -> None:
    """Held until the transaction ends, so replicas starting together make one first key."""
    lock = text(f"SELECT pg_advisory_xact_lock({_KEY_CREATION_LOCK_ID})")
    await db.exec(lock)  # type: ignore[call-overload]


async def add(db: AsyncSession, key: SigningKey) -> None:
    db.add(key)
    await db.flush()


async def all_keys(db: AsyncSession) -> list[SigningKey]:
    query = select(SigningKey).order_by(col(SigningKey.created_at))
    return list((await db.exec(query)).all())


async def get(db: AsyncSession, kid: str) -> SigningKey | None:
    return await db.get(SigningKey, kid)
