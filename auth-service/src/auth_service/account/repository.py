"""The only place with the queries of mailed links' tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account.models import AccountToken

# Spent and expired rows are kept this long (to tell "already used" from "garbage").
KEEP_SPENT = timedelta(days=2)


async def replace_live(
    db: AsyncSession, user_id: uuid.UUID, purposes: list[str], now: datetime
) -> None:
    """Voids the account's live tokens of these purposes; forgets its long-dead ones."""
    await db.exec(
        sa.update(AccountToken)
        .where(
            col(AccountToken.user_id) == user_id,
            col(AccountToken.purpose).in_(purposes),
            col(AccountToken.used_at).is_(None),
            col(AccountToken.replaced_at).is_(None),
        )
        .values(replaced_at=now)
    )
    await db.exec(
        sa.delete(AccountToken).where(
            col(AccountToken.user_id) == user_id,
            col(AccountToken.expires_at) < now - KEEP_SPENT,
        )
    )


async def add(db: AsyncSession, token: AccountToken) -> None:
    db.add(token)
    await db.flush()


async def spend(
    db: AsyncSession, token_hash: str, purpose: str, now: datetime
) -> AccountToken | None:
    """Marks the token used, only if it is live and for this purpose: one conditional
    statement, so of two racing uses exactly one gets the row back."""
    result = await db.exec(
        sa.update(AccountToken)
        .where(
            col(AccountToken.token_hash) == token_hash,
            col(AccountToken.purpose) == purpose,
            col(AccountToken.used_at).is_(None),
            col(AccountToken.replaced_at).is_(None),
            col(AccountToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(AccountToken)
    )
    return result.scalars().first()


async def find(db: AsyncSession, token_hash: str) -> AccountToken | None:
    query = select(AccountToken).where(col(AccountToken.token_hash) == token_hash)
    return (await db.exec(query)).first()
