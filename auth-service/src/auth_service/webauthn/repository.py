"""The only place with the queries of passkeys."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.webauthn.models import Passkey


async def of_user(db: AsyncSession, user_id: uuid.UUID) -> list[Passkey]:
    query = (
        select(Passkey)
        .where(col(Passkey.user_id) == user_id)
        .order_by(col(Passkey.created_at), col(Passkey.id))
    )
    return list((await db.exec(query)).all())


async def count_of_user(db: AsyncSession, user_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Passkey).where(col(Passkey.user_id) == user_id)
    return int((await db.exec(query)).one())


async def by_credential_id(db: AsyncSession, credential_id: bytes) -> Passkey | None:
    query = select(Passkey).where(col(Passkey.credential_id) == credential_id)
    return (await db.exec(query)).first()


async def of_user_by_id(
    db: AsyncSession, user_id: uuid.UUID, passkey_id: uuid.UUID
) -> Passkey | None:
    passkey = await db.get(Passkey, passkey_id)
    return passkey if passkey is not None and passkey.user_id == user_id else None


async def add(db: AsyncSession, passkey: Passkey) -> None:
    db.add(passkey)
    await db.flush()


async def save(db: AsyncSession, passkey: Passkey) -> None:
    db.add(passkey)
    await db.flush()


async def delete(db: AsyncSession, passkey: Passkey) -> None:
    await db.delete(passkey)
    await db.flush()


async def delete_all_of_user(db: AsyncSession, user_id: uuid.UUID) -> int:
    result = await db.exec(sa.delete(Passkey).where(col(Passkey.user_id) == user_id))
    return int(result.rowcount)


async def record_use(
    db: AsyncSession, passkey_id: uuid.UUID, sign_count: int, backed_up: bool, now: datetime
) -> bool:
    """The new counter and the time, only if the counter went up (or both stay 0, an
    authenticator that does not count): one conditional statement, so that of two
    assertions with the same counter (a clone, or a race) exactly one is accepted."""
    went_up = col(Passkey.sign_count) < sign_count
    neither_counts = sa.and_(col(Passkey.sign_count) == 0, sa.literal(sign_count) == 0)
    result = await db.exec(
        sa.update(Passkey)
        .where(col(Passkey.id) == passkey_id, sa.or_(went_up, neither_counts))
        .values(sign_count=sign_count, backed_up=backed_up, last_used_at=now)
        .returning(col(Passkey.id))
    )
    return result.first() is not None
