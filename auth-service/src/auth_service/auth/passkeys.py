"""What the auth slice asks of passkeys (the webauthn slice answers it; app.py wires it):
an interface here, so that the slices do not import each other both ways."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Protocol

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.deps import from_state


class PasskeyProof(Protocol):
    async def reauthenticate(
        self, db: AsyncSession, user_id: uuid.UUID, sid: str, credential: dict[str, Any], ip: str
    ) -> tuple[str, int]:
        """/reauth with a passkey: an access token of the session with a fresh auth_time."""
        ...

    async def verify_assertion(
        self, db: AsyncSession, credential: dict[str, Any], expected_user_id: uuid.UUID | None
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """The user and the passkey an assertion proves (a second factor can use it)."""
        ...

    async def has_passkeys(self, db: AsyncSession, user_id: uuid.UUID) -> bool: ...

    async def remove_all(self, db: AsyncSession, user_id: uuid.UUID) -> int: ...


PasskeyProofDep = Annotated[PasskeyProof, Depends(from_state("passkeys"))]
