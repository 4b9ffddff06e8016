"""Log-out requests that came without a valid `id_token_hint`: where the application
asked the browser to go afterwards (its registered `post_logout_redirect_uri`, with
`state`), kept in Redis by the hash of an opaque id (32 random bytes) until the person
answers "Log out" on /end-session, for ten minutes at most, and given out once."""

from __future__ import annotations

import hashlib
import secrets

import redis.asyncio as aioredis

LOGOUT_REQUEST_TTL = 600  # seconds: time enough to read the question and answer it
_PREFIX = "oidc:logout:"


def _key(request_id: str) -> str:
    return _PREFIX + hashlib.sha256(request_id.encode()).hexdigest()


async def keep(redis: aioredis.Redis, url: str) -> str:
    request_id = secrets.token_urlsafe(32)
    await redis.set(_key(request_id), url, ex=LOGOUT_REQUEST_TTL)
    return request_id


async def take(redis: aioredis.Redis, request_id: str) -> str | None:
    """The address kept for `request_id`, deleted in the same step (GETDEL), else None."""
    if len(request_id) > 100:
        return None
    url = await redis.getdel(_key(request_id))
    return None if url is None else str(url)  # the client decodes responses (kv.py)
