from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.users.models import User

_BOOTSTRAP_LOCK_ID = 0x626F6F74  # "boot"


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    query = select(User).where(func.lower(col(User.email)) == email.lower())
    return (await session.exec(query)).first()


async def lock_bootstrap(session: AsyncSession) -> None:
    """Held until the transaction ends: replicas starting together apply the bootstrap
    administrator one after the other, so the second finds the account the first made."""
    lock = sa.text(f"SELECT pg_advisory_xact_lock({_BOOTSTRAP_LOCK_ID})")
    await session.exec(lock)  # type: ignore[call-overload]


async def add(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def save(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def page(session: AsyncSession, limit: int, offset: int) -> tuple[list[User], int]:
    query = select(User).order_by(col(User.created_at), col(User.id)).limit(limit).offset(offset)
    users = list((await session.exec(query)).all())
    total = (await session.exec(select(func.count()).select_from(User))).one()
    return users, int(total)


async def lock_admins(session: AsyncSession, role: str) -> list[User]:
    """Every holder of `role`, row-locked until the transaction ends: two concurrent
    demotions then count the role holders one after the other, never both at once."""
    query = (
        select(User)
        .where(sa.literal(role) == sa.any_(col(User.roles)))
        .order_by(col(User.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def get_for_update(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    query = (
        select(User)
        .where(col(User.id) == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()
