from __future__ import annotations

import uuid

import sqlalchemy as sa
from service_kit.db import fetchrow
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.users.addresses import email_key
from auth_service.users.models import User

_BOOTSTRAP_LOCK_ID = 0x626F6F74  # "boot"


async def get(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await db.get(User, user_id)


async def get_by_email(db: AsyncSession, email: str) -> User | None:
    """The account of `email`, however it is spelt (case, Unicode forms): by its key."""
    query = select(User).where(col(User.email_key) == email_key(email))
    return (await db.exec(query)).first()


_FOR_LOG_IN = (
    "SELECT u.id, u.email, u.email_key, u.password_hash, u.email_verified, u.roles, u.created_at, "
    "u.updated_at, EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = u.id "
    "AND t.confirmed_at IS NOT NULL) AS second_step "
    "FROM users u WHERE u.email_key = $1"
)


async def for_log_in(db: AsyncSession, email: str) -> tuple[User, bool] | None:
    """The account of `email` and whether it has a confirmed second factor (a TOTP), in one
    prepared statement outside any transaction when it is the request's first (no BEGIN
    and COMMIT around it). The user is not attached to `db`: `set_password_hash` saves."""
    row = await fetchrow(db, _FOR_LOG_IN, email_key(email))
    if row is None:
        return None
    fields = {name: row[name] for name in User.model_fields}
    return User(**{**fields, "roles": list(fields["roles"])}), bool(row["second_step"])


async def set_password_hash(db: AsyncSession, user: User) -> None:
    """Stores `user.password_hash` and `user.updated_at` (a user read by `for_log_in`)."""
    await fetchrow(
        db,
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
        user.password_hash,
        user.updated_at,
        user.id,
    )


async def lock_bootstrap(db: AsyncSession) -> None:
    """Held until the transaction ends: replicas starting together apply the bootstrap
    administrator one after the other, so the second finds the account the first made."""
    lock = sa.text(f"SELECT pg_advisory_xact_lock({_BOOTSTRAP_LOCK_ID})")
    await db.exec(lock)  # type: ignore[call-overload]


async def add(db: AsyncSession, user: User) -> None:
    db.add(user)
    await db.flush()


async def save(db: AsyncSession, user: User) -> None:
    db.add(user)
    await db.flush()


async def page(db: AsyncSession, limit: int, offset: int) -> tuple[list[User], int]:
    query = select(User).order_by(col(User.created_at), col(User.id)).limit(limit).offset(offset)
    users = list((await db.exec(query)).all())
    total = (await db.exec(select(func.count()).select_from(User))).one()
    return users, int(total)


async def lock_admins(db: AsyncSession, role: str) -> list[User]:
    """Every holder of `role`, row-locked until the transaction ends: two concurrent
    demotions then count the role holders one after the other, never both at once."""
    query = (
        select(User)
        .where(sa.literal(role) == sa.any_(col(User.roles)))
        .order_by(col(User.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await db.exec(query)).all())


async def get_for_update(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    query = (
        select(User)
        .where(col(User.id) == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await db.exec(query)).first()
