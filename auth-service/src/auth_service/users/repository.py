from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.users.models import User


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    query = select(User).where(func.lower(col(User.email)) == email.lower())
    return (await session.exec(query)).first()


async def add(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def save(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()
