from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients.models import OAuthClient


async def get(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return await session.get(OAuthClient, client_id)


async def add(session: AsyncSession, client: OAuthClient) -> None:
    session.add(client)
    await session.flush()


async def all_clients(session: AsyncSession) -> list[OAuthClient]:
    query = select(OAuthClient).order_by(col(OAuthClient.created_at))
    return list((await session.exec(query)).all())


async def delete(session: AsyncSession, client: OAuthClient) -> None:
    await session.delete(client)
    await session.flush()
