"""Failed log-ins counted per account and per client address, in Redis.

Without Redis, log-in keeps working: the counts move into this process with limits
halved (each replica counts on its own, so stricter is the safe side), and go back to
Redis as soon as it answers again.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

import redis.asyncio as aioredis

from auth_service.errors import RateLimited
from auth_service.kv import REDIS_DOWN_ERRORS
from auth_service.observability.metrics import Metrics

logger = logging.getLogger("auth_service.ratelimit")

_RETRY_REDIS_AFTER = 5.0  # seconds without asking a Redis that just failed


class _LocalCounts:
    """The fallback: fixed windows in memory, bounded in size."""

    MAX_KEYS = 100_000

    def __init__(self, window: int) -> None:
        self._window = window
        self._counts: dict[str, tuple[int, float]] = {}

    def get(self, key: str) -> tuple[int, float]:
        count, expires = self._counts.get(key, (0, 0.0))
        now = time.monotonic()
        return (count, expires - now) if expires > now else (0, 0.0)

    def incr(self, key: str) -> None:
        count, left = self.get(key)
        if len(self._counts) >= self.MAX_KEYS:
            self._counts.clear()  # under a flood, forgetting beats running out of memory
        expires = time.monotonic() + (left if count else self._window)
        self._counts[key] = (count + 1, expires)

    def delete(self, key: str) -> None:
        self._counts.pop(key, None)


class LoginLimiter:
    def __init__(
        self, redis: aioredis.Redis, per_account: int, per_ip: int, window: int, metrics: Metrics
    ) -> None:
        self._redis = redis
        self._limits = {"account": per_account, "ip": per_ip}
        self._window = window
        self._metrics = metrics
        self._local = _LocalCounts(window)
        self._redis_down_until = 0.0

    @staticmethod
    def _keys(email: str, ip: str) -> dict[str, str]:
        account = hashlib.sha256(email.lower().encode()).hexdigest()
        return {"account": f"gh:rl:login:acct:{account}", "ip": f"gh:rl:login:ip:{ip}"}

    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self) -> None:
        if self._redis_usable():
            logger.warning(
                "redis unavailable: log-in limits fall back to this process "
                "(halved limits) until it answers"
            )
        self._redis_down_until = time.monotonic() + _RETRY_REDIS_AFTER

    async def _counts(self, keys: dict[str, str]) -> list[tuple[int, float]]:
        if self._redis_usable():
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key in keys.values():
                        pipe.get(key)
                        pipe.pttl(key)
                    values = await pipe.execute()
                return [
                    (int(values[2 * i] or 0), max(values[2 * i + 1], 0) / 1000)
                    for i in range(len(keys))
                ]
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
        return [self._local.get(key) for key in keys.values()]

    async def check(self, email: str, ip: str) -> None:
        """Refuse before any password is checked once either counter is at its limit."""
        keys = self._keys(email, ip)
        local = not self._redis_usable()
        for kind, (count, seconds_left) in zip(keys, await self._counts(keys), strict=True):
            limit = self._limits[kind]
            if local or not self._redis_usable():
                limit = max(1, limit // 2)
            if count >= limit:
                self._metrics.rate_limited.labels(f"login_{kind}").inc()
                raise RateLimited(max(1, math.ceil(seconds_left)))

    async def record_failure(self, email: str, ip: str) -> None:
        keys = list(self._keys(email, ip).values())
        if self._redis_usable():
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    for key in keys:
                        pipe.set(key, 0, ex=self._window, nx=True)
                        pipe.incr(key)
                    await pipe.execute()
                return
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
        for key in keys:
            self._local.incr(key)

    async def forget_account(self, email: str, ip: str) -> None:
        key = self._keys(email, ip)["account"]
        self._local.delete(key)
        if self._redis_usable():
            try:
                await self._redis.delete(key)
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
