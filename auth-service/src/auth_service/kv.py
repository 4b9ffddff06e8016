"""The Redis client: denylist of spent refresh tokens and revoked sessions, rate limits."""

from __future__ import annotations

import redis.asyncio as aioredis
import redis.exceptions

REDIS_DOWN_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def create_redis(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
    )
