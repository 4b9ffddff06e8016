"""The only place with the queries of mailed links' tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account.models import AccountToken, EmailSignIn

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


# --- sign-in links and codes ------------------------------------------------------------
# Each use and each wrong code is one conditional statement: PostgreSQL re-reads the row
# under its lock, so racing requests spend it once and count wrong codes exactly.


async def put_sign_in(db: AsyncSession, row: EmailSignIn) -> None:
    """The address's live sign-in, replacing the one before (its link and code die)."""
    values = row.model_dump()
    statement = insert(EmailSignIn).values(**values)
    await db.exec(
        statement.on_conflict_do_update(
            index_elements=[col(EmailSignIn.email_key)],
            set_={k: v for k, v in values.items() if k != "email_key"},
        )
    )


def _live(now: datetime, max_failures: int) -> list[sa.ColumnElement[bool]]:
    return [
        col(EmailSignIn.used_at).is_(None),
        col(EmailSignIn.failures) < max_failures,
        col(EmailSignIn.expires_at) > now,
    ]


async def spend_sign_in(
    db: AsyncSession, match: sa.ColumnElement[bool], now: datetime, max_failures: int
) -> EmailSignIn | None:
    """Marks the live sign-in that `match` picks used; None when there is none."""
    result = await db.exec(
        sa.update(EmailSignIn)
        .where(match, *_live(now, max_failures))
        .values(used_at=now)
        .returning(EmailSignIn)
    )
    return result.scalars().first()


async def sign_in_failed(
    db: AsyncSession, email_key: str, now: datetime, max_failures: int
) -> int | None:
    """Counts a wrong code on the address's live sign-in: its failures now (None: no live
    one, nothing counted)."""
    result = await db.exec(
        sa.update(EmailSignIn)
        .where(col(EmailSignIn.email_key) == email_key, *_live(now, max_failures))
        .values(failures=col(EmailSignIn.failures) + 1)
        .returning(col(EmailSignIn.failures))
    )
    found = result.scalars().first()
    return None if found is None else int(found)


async def remove_sign_ins(db: AsyncSession, user_id: uuid.UUID, email_key: str) -> None:
    """The mailed sign-in of the account, or of its address before it had one, dies (a new
    password, a new email)."""
    await db.exec(
        sa.delete(EmailSignIn).where(
            sa.or_(col(EmailSignIn.user_id) == user_id, col(EmailSignIn.email_key) == email_key)
        )
    )
