"""Dynamic client registration (RFC 7591), as AUTH_CLIENT_REGISTRATION says: `off` (the
endpoint is not there), `token` (an administrator's initial access token is needed) or
`open` (anyone, public clients only, a limit per client address)."""

from __future__ import annotations

import json
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients import service as clients
from auth_service.deps import bearer_of
from auth_service.errors import InvalidToken, NotFound
from auth_service.http.ratelimit import FailureLimiter
from auth_service.registration import metadata, tokens
from auth_service.timeutil import Clock

Mode = Literal["off", "token", "open"]
_LIMIT_ACTION = "client_registration"


class Registrations:
    def __init__(self, mode: Mode, limiter: FailureLimiter, clock: Clock) -> None:
        self.mode = mode
        self._limiter, self._clock = limiter, clock

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    async def register(
        self, db: AsyncSession, body: bytes, authorization: str | None, ip: str
    ) -> dict[str, Any]:
        """The RFC 7591 §3.2.1 answer; raises NotFound (off), MissingToken or InvalidToken
        (token), RateLimited (open) or MetadataRefused (§3.2.2)."""
        if self.mode == "off":
            raise NotFound("Client registration is off")
        token = None
        if self.mode == "token":
            token = bearer_of(authorization)
            if not await tokens.usable(db, token, self._clock.now()):
                raise InvalidToken("The initial access token is unknown, used up or expired")
        else:
            await self._limiter.reserve_address(_LIMIT_ACTION, ip)  # every attempt counts
        name, scopes, options = metadata.options_of(
            metadata.parsed(_json(body)), open_mode=self.mode == "open"
        )
        actor = "registration:open"
        if token is not None:
            token_id = await tokens.spend(db, token, self._clock.now())
            if token_id is None:  # spent by a simultaneous registration
                raise InvalidToken("The initial access token is unknown, used up or expired")
            actor = f"registration-token:{token_id}"
        created = await clients.register(db, name, scopes, actor, options)
        return metadata.response_of(created.client, created.secret)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise metadata.MetadataRefused("invalid_client_metadata", "The body is not JSON") from exc
