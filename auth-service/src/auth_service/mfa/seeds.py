"""TOTP seeds at rest: sealed under the key-encryption key (AES-GCM), bound to their user;
and their re-seal at start-up after a change of that key, as signing keys are."""

from __future__ import annotations

import logging
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.mfa import repository
from auth_service.security.encryption import UserSecrets

logger = logging.getLogger("auth_service.mfa")

_BATCH = 500


def binding(user_id: uuid.UUID) -> bytes:
    """The associated data of a user's seed: moved to another user's row, it no longer opens."""
    return b"gatehouse-totp-v1:" + user_id.bytes


async def reseal_all(db: AsyncSession, secrets: UserSecrets) -> int:
    """Seeds that only AUTH_PREVIOUS_KEY_ENCRYPTION_KEY opens are sealed again under the
    current key (each row only if no one changed it meanwhile): how many. Once every
    replica has started with the new key, the previous one can go."""
    if not secrets.has_previous:
        return 0
    resealed, after = 0, None
    while batch := await repository.totp_batch(db, after, _BATCH):
        for factor in batch:
            new = secrets.reseal(factor.secret_sealed, binding(factor.user_id))
            if new is not None and await repository.replace_seal(
                db, factor.user_id, factor.secret_sealed, new
            ):
                resealed += 1
        after = batch[-1].user_id
    if resealed:
        logger.warning("re-sealed %d TOTP seeds under the current key-encryption key", resealed)
    return resealed
