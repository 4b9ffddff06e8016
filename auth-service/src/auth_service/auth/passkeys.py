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
        """/reauth with a passkey: an access token of the session with a fresh auth_time.
        (The second step of a log-in asks the mfa slice's `PasskeyFactor` instead.)"""
        ...


PasskeyProofDep = Annotated[PasskeyProof, Depends(from_state("passkeys"))]
