"""The `mfa_token` of a log-in waiting for its second factor: opaque random (never a JWT,
so it is no use as a Bearer token), stored as its sha256, bound to the user, single use,
5 minutes, void after 5 wrong codes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.mfa import repository
from auth_service.mfa.models import MfaChallenge

LIFETIME = timedelta(minutes=5)
MAX_WRONG_CODES = 5


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    db: AsyncSession, user_id: uuid.UUID, now: datetime, *, first_factor: str = "pwd"
) -> str:
    """A log-in whose first step (`first_factor`, as `amr` names it) is proved."""
    token = secrets.token_urlsafe(32)
    challenge = MfaChallenge(
        token_hash=_hash(token),
        user_id=user_id,
        created_at=now,
        expires_at=now + LIFETIME,
        first_factor=first_factor,
    )
    await repository.add_challenge(db, challenge, now)
    return token


async def live(
    db: AsyncSession, token: str, now: datetime, *, lock: bool = False
) -> MfaChallenge | None:
    """The log-in of this token while it may still be completed (`lock`: and hold it, so
    that racing second steps of one log-in take turns)."""
    return await repository.live_challenge(db, _hash(token), now, MAX_WRONG_CODES, lock=lock)


async def wrong_code(db: AsyncSession, token: str) -> int:
    """Counts a wrong code: how many more the log-in may still try (0: it is void)."""
    return max(0, MAX_WRONG_CODES - await repository.challenge_failed(db, _hash(token)))


async def spend(db: AsyncSession, token: str, now: datetime) -> bool:
    return await repository.spend_challenge(db, _hash(token), now)


async def prune(db: AsyncSession, now: datetime) -> int:
    """Deletes the expired ones (the periodic prune; a new challenge also clears them)."""
    return await repository.prune_challenges(db, now)
