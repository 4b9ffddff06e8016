"""Failed log-ins counted per account and per client address, in Redis."""

from __future__ import annotations

import hashlib
import math

import redis.asyncio as aioredis

from auth_service.errors import RateLimited


class LoginLimiter:
    def __init__(self, redis: aioredis.Redis, per_account: int, per_ip: int, window: int) -> None:
        self._redis = redis
        self._limits = {"acct": per_account, "ip": per_ip}
        self._window = window

    @staticmethod
    def _keys(email: str, ip: str) -> dict[str, str]:
        account = hashlib.sha256(email.lower().encode()).hexdigest()
        return {"acct": f"gh:rl:login:acct:{account}", "ip": f"gh:rl:login:ip:{ip}"}

    async def check(self, email: str, ip: str) -> None:
        """Refuse before any password is checked once either counter is at its limit."""
        keys = self._keys(email, ip)
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys.values():
                pipe.get(key)
                pipe.pttl(key)
            values = await pipe.execute()
        for index, kind in enumerate(keys):
            count, ttl_ms = values[2 * index], values[2 * index + 1]
            if count is not None and int(count) >= self._limits[kind]:
                raise RateLimited(max(1, math.ceil(max(ttl_ms, 0) / 1000)))

    async def record_failure(self, email: str, ip: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, ip).values():
                pipe.set(key, 0, ex=self._window, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def forget_account(self, email: str, ip: str) -> None:
        await self._redis.delete(self._keys(email, ip)["acct"])
