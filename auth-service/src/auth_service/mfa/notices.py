"""What the mfa and webauthn slices ask of the account's mail (the account slice's
`AccountMailer` answers it; registry.py wires it): a notice to the account's
owner of each change to its second factors, queued in the request's transaction."""

from __future__ import annotations

from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession


class SecurityNotices(Protocol):
    async def security_notice(self, db: AsyncSession, to: str, kind: str, **values: Any) -> None:
        """Queues the mail `kind` (a template of auth_service.mail) to `to`."""
        ...
