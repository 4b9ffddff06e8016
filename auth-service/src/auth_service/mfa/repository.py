"""The only place with the queries of second factors. Every use of a one-time thing (a
TOTP time step, a recovery code, an `mfa_token`) is one conditional statement, so of two
racing requests exactly one succeeds."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.mfa.models import MfaChallenge, RecoveryCode, TotpFactor

# --- TOTP -------------------------------------------------------------------------------


async def start_totp(db: AsyncSession, user_id: uuid.UUID, sealed: bytes, now: datetime) -> bool:
    """A new pending enrolment (replacing a pending one); False when one is confirmed."""
    values = insert(TotpFactor).values(
        user_id=user_id, secret_sealed=sealed, created_at=now, confirmed_at=None, last_step=None
    )
    statement = values.on_conflict_do_update(
        index_elements=[col(TotpFactor.user_id)],
        set_={"secret_sealed": sealed, "created_at": now, "last_step": None},
        where=col(TotpFactor.confirmed_at).is_(None),
    ).returning(col(TotpFactor.user_id))
    return (await db.exec(statement)).first() is not None


async def totp_of(
    db: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
) -> TotpFactor | None:
    query = select(TotpFactor).where(col(TotpFactor.user_id) == user_id)
    if for_update:
        query = query.with_for_update()
    result = await db.exec(query.execution_options(populate_existing=True))
    return result.first()


async def is_confirmed(db: AsyncSession, user_id: uuid.UUID) -> bool:
    query = select(TotpFactor.user_id).where(
        col(TotpFactor.user_id) == user_id, col(TotpFactor.confirmed_at).is_not(None)
    )
    return (await db.exec(query)).first() is not None


async def accept_step(
    db: AsyncSession,
    user_id: uuid.UUID,
    step: int,
    *,
    sealed: bytes,
    confirm_at: datetime | None = None,
) -> bool:
    """Moves the last accepted step forward to `step`, only if it is behind it and the
    seed is still the one that was checked (`confirm_at`: this is the enrolment's first
    code, and the factor becomes confirmed)."""
    conditions = [
        col(TotpFactor.user_id) == user_id,
        col(TotpFactor.secret_sealed) == sealed,
        sa.or_(col(TotpFactor.last_step).is_(None), col(TotpFactor.last_step) < step),
    ]
    values: dict[str, object] = {"last_step": step}
    if confirm_at is None:
        conditions.append(col(TotpFactor.confirmed_at).is_not(None))
    else:
        conditions.append(col(TotpFactor.confirmed_at).is_(None))
        values["confirmed_at"] = confirm_at
    statement = sa.update(TotpFactor).where(*conditions).values(**values)
    result = await db.exec(statement.returning(col(TotpFactor.user_id)))
    return result.first() is not None


async def totp_batch(db: AsyncSession, after: uuid.UUID | None, limit: int) -> list[TotpFactor]:
    """Every user's TOTP, in the order of user ids, `limit` at a time (keyset paging)."""
    query = select(TotpFactor).order_by(col(TotpFactor.user_id)).limit(limit)
    if after is not None:
        query = query.where(col(TotpFactor.user_id) > after)
    return list((await db.exec(query)).all())


async def replace_seal(db: AsyncSession, user_id: uuid.UUID, old: bytes, new: bytes) -> bool:
    """The seed sealed anew, unless the row changed since it was read."""
    result = await db.exec(
        sa.update(TotpFactor)
        .where(col(TotpFactor.user_id) == user_id, col(TotpFactor.secret_sealed) == old)
        .values(secret_sealed=new)
        .returning(col(TotpFactor.user_id))
    )
    return result.first() is not None


async def remove_all(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """The user's TOTP, recovery codes and waiting log-ins go; True when TOTP was there."""
    for table in (RecoveryCode, MfaChallenge):
        await db.exec(sa.delete(table).where(col(table.user_id) == user_id))
    removed = await db.exec(
        sa.delete(TotpFactor)
        .where(col(TotpFactor.user_id) == user_id)
        .returning(col(TotpFactor.user_id))
    )
    return removed.first() is not None


# --- recovery codes ----------------------------------------------------------------------


async def replace_recovery_codes(db: AsyncSession, user_id: uuid.UUID, hashes: list[str]) -> None:
    await db.exec(sa.delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    db.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in hashes)
    await db.flush()


async def spend_recovery_code(db: AsyncSession, user_id: uuid.UUID, hashes: list[str]) -> bool:
    result = await db.exec(
        sa.delete(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user_id, col(RecoveryCode.code_hash).in_(hashes))
        .returning(col(RecoveryCode.code_hash))
    )
    return result.first() is not None


async def recovery_codes_left(db: AsyncSession, user_id: uuid.UUID) -> int:
    query = select(sa.func.count()).where(col(RecoveryCode.user_id) == user_id)
    return int((await db.exec(query)).one())


# --- the second step of a log-in ---------------------------------------------------------


async def add_challenge(db: AsyncSession, challenge: MfaChallenge, now: datetime) -> None:
    """Stores it; forgets every expired one (each lives minutes)."""
    await prune_challenges(db, now)
    db.add(challenge)
    await db.flush()


async def remove_challenges(db: AsyncSession, user_id: uuid.UUID) -> int:
    """Every log-in of the user waiting for its second step; how many."""
    result = await db.exec(sa.delete(MfaChallenge).where(col(MfaChallenge.user_id) == user_id))
    return int(result.rowcount)


async def prune_challenges(db: AsyncSession, now: datetime) -> int:
    """Deletes the challenges expired before `now`; returns how many."""
    result = await db.exec(sa.delete(MfaChallenge).where(col(MfaChallenge.expires_at) < now))
    return int(result.rowcount)


async def live_challenge(
    db: AsyncSession, token_hash: str, now: datetime, max_failures: int, *, lock: bool = False
) -> MfaChallenge | None:
    query = select(MfaChallenge).where(
        col(MfaChallenge.token_hash) == token_hash,
        col(MfaChallenge.used_at).is_(None),
        col(MfaChallenge.expires_at) > now,
        col(MfaChallenge.failures) < max_failures,
    )
    if lock:  # racing second steps of one log-in take turns: one of them spends it
        query = query.with_for_update()
    result = await db.exec(query.execution_options(populate_existing=True))
    return result.first()


async def challenge_failed(db: AsyncSession, token_hash: str) -> int:
    """One more wrong code on this log-in: the number of wrong codes so far."""
    result = await db.exec(
        sa.update(MfaChallenge)
        .where(col(MfaChallenge.token_hash) == token_hash)
        .values(failures=col(MfaChallenge.failures) + 1)
        .returning(col(MfaChallenge.failures))
    )
    return int(result.one()[0])


async def spend_challenge(db: AsyncSession, token_hash: str, now: datetime) -> bool:
    result = await db.exec(
        sa.update(MfaChallenge)
        .where(col(MfaChallenge.token_hash) == token_hash, col(MfaChallenge.used_at).is_(None))
        .values(used_at=now)
        .returning(col(MfaChallenge.token_hash))
    )
    return result.first() is not None
