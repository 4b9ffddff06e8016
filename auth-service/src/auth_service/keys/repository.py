from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.keys.models import SigningKey

_KEY_CREATION_LOCK_ID = 0x6B657973  # "keys"


async def live_keys(session: AsyncSession, now: datetime) -> list[SigningKey]:
    """Every key still published or still needed to verify a live token."""
    query = select(SigningKey).where(
        or_(col(SigningKey.expires_at).is_(None), col(SigningKey.expires_at) > now)
    )
    return list((await session.exec(query)).all())


async def lock_key_creation(session: AsyncSession) -> None:
    """Held until the transaction ends, so replicas starting together make one first key."""
    lock = text(f"SELECT pg_advisory_xact_lock({_KEY_CREATION_LOCK_ID})")
    await session.exec(lock)  # type: ignore[call-overload]


async def add(session: AsyncSession, key: SigningKey) -> None:
    session.add(key)
    await session.flush()


async def all_keys(session: AsyncSession) -> list[SigningKey]:
    query = select(SigningKey).order_by(col(SigningKey.created_at))
    return list((await session.exec(query)).all())


async def get(session: AsyncSession, kid: str) -> SigningKey | None:
    return await session.get(SigningKey, kid)
