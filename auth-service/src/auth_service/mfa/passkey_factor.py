"""What the mfa slice asks of passkeys (the webauthn slice answers it; registry.py
wires it): an interface here, so that the slices do not import each other
both ways (webauthn depends on auth, and auth on mfa)."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession


class PasskeyFactor(Protocol):
    async def has_passkeys(self, db: AsyncSession, user_id: uuid.UUID) -> bool:
        """Whether a log-in's second step may offer a passkey."""
        ...

    async def proves(
        self, db: AsyncSession, user_id: uuid.UUID, credential: dict[str, Any]
    ) -> bool:
        """Whether this assertion is one of the user's passkeys, answering a live challenge;
        a refusal is False (and audited, committed), malformed input a 422."""
        ...

    async def remove_all(self, db: AsyncSession, user_id: uuid.UUID) -> int:
        """Every passkey of the user goes; how many there were."""
        ...
