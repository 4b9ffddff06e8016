"""A user's passkeys as stored records: what an administrator's reset of the second
factors needs, with no ceremony (the command line has no relying party or challenges).
`PasskeyService` adds the check of an assertion; both answer the mfa slice's
`PasskeyFactor`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.webauthn import repository


class StoredPasskeys:
    async def has_passkeys(self, db: AsyncSession, user_id: uuid.UUID) -> bool:
        return await repository.count_of_user(db, user_id) > 0

    async def remove_all(self, db: AsyncSession, user_id: uuid.UUID) -> int:
        """Every passkey of the user (an administrator's MFA reset: the caller audits it)."""
        return await repository.delete_all_of_user(db, user_id)

    async def proves(
        self, db: AsyncSession, user_id: uuid.UUID, credential: dict[str, Any]
    ) -> bool:
        """Nothing is proved without a relying party and its challenges."""
        return False
