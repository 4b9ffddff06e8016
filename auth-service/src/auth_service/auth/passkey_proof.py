"""What the auth slice asks of passkeys (the webauthn slice answers it; registry.py hands
it to `AuthService`): an interface here, so that the slices do not import each other both
ways."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession


class PasskeyProof(Protocol):
    async def confirm(
        self, db: AsyncSession, user_id: uuid.UUID, credential: dict[str, Any], ip: str
    ) -> None:
        """/reauth with a passkey: one of this user's passkeys, or PasskeyNotConfirmed (403).
        (The second step of a log-in asks the mfa slice's `PasskeyFactor` instead.)"""
        ...
