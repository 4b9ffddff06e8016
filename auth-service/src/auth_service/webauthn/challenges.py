"""WebAuthn challenges: random, single use, short-lived, kept in Redis.

Each challenge is stored under its own value with what it was issued for (the ceremony
kind, and for an enrolment its user and the passkey's name); taking it deletes it in the
same step (GETDEL), so two responses that carry it cannot both be accepted.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from enum import StrEnum

import redis.asyncio as aioredis
from auth_client.jws import b64url_encode

CHALLENGE_TTL = 300  # seconds: the browser's prompt plus a person's hesitation
_KEY = "gh:webauthn:challenge:"


class Ceremony(StrEnum):
    REGISTER = "register"
    AUTHENTICATE = "authenticate"


@dataclass(frozen=True)
class Issued:
    """What a challenge was issued for."""

    ceremony: Ceremony
    user_id: str | None = None
    name: str | None = None


class Challenges:
    def __init__(self, redis: aioredis.Redis, ttl: int = CHALLENGE_TTL) -> None:
        self._redis, self._ttl = redis, ttl

    async def issue(self, issued: Issued) -> bytes:
        challenge = secrets.token_bytes(32)
        value = {"ceremony": issued.ceremony.value, "user": issued.user_id, "name": issued.name}
        await self._redis.set(self._key(challenge), json.dumps(value), ex=self._ttl)
        return challenge

    async def take(self, challenge: bytes) -> Issued | None:
        """What the challenge was issued for, once; None when it is unknown, expired or used."""
        if not challenge or len(challenge) > 64:
            return None
        raw = await self._redis.getdel(self._key(challenge))
        if raw is None:
            return None
        value = json.loads(raw)
        return Issued(Ceremony(value["ceremony"]), value.get("user"), value.get("name"))

    @staticmethod
    def _key(challenge: bytes) -> str:
        return _KEY + b64url_encode(challenge)
