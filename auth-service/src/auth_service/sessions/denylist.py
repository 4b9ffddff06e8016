"""Redis side of refresh sessions: one atomic step decides every refresh.

Keys (each expires when what it denies would have expired anyway):
  gh:rt:spent:<sha256(jti)>  -> "<successor jti>|<spent at, ms>"   spent refresh tokens
  gh:sess:revoked:<sid>      -> reason                              revoked sessions
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

import redis.asyncio as aioredis

_ROTATE = """
local revoked = redis.call('GET', KEYS[2])
if revoked then return {'revoked', revoked} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local spent = redis.call('GET', KEYS[1])
if not spent then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. now, 'PX', ARGV[3])
  return {'rotated', ARGV[1], tostring(now)}
end
local sep = string.find(spent, '|', 1, true)
local successor = string.sub(spent, 1, sep - 1)
local spent_at = tonumber(string.sub(spent, sep + 1))
if now - spent_at <= tonumber(ARGV[2]) then
  return {'grace', successor, tostring(spent_at)}
end
redis.call('SET', KEYS[2], 'reuse', 'PX', ARGV[4])
return {'reuse'}
"""


class Verdict(StrEnum):
    ROTATED = "rotated"
    GRACE = "grace"
    REUSE = "reuse"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    successor_jti: str | None = None
    successor_iat: int | None = None  # seconds
    revoked_reason: str | None = None


def _spent_key(jti: str) -> str:
    return "gh:rt:spent:" + hashlib.sha256(jti.encode()).hexdigest()


def _revoked_key(sid: str) -> str:
    return f"gh:sess:revoked:{sid}"


class Denylist:
    def __init__(self, redis: aioredis.Redis, session_ttl: int, grace_seconds: float) -> None:
        self._redis = redis
        self._rotate = redis.register_script(_ROTATE)
        self._session_ttl_ms = session_ttl * 1000
        self._grace_ms = int(grace_seconds * 1000)

    async def spend(self, *, jti: str, sid: str, new_jti: str, token_exp_ms_left: int) -> Decision:
        """Spend `jti` and name `new_jti` its successor — unless it was spent already."""
        # The spent mark must outlive the grace window even for a token about to expire.
        spent_ttl = max(token_exp_ms_left, self._grace_ms) + 1000
        result = await self._rotate(
            keys=[_spent_key(jti), _revoked_key(sid)],
            args=[new_jti, self._grace_ms, spent_ttl, self._session_ttl_ms],
        )
        verdict = Verdict(result[0])
        if verdict in (Verdict.ROTATED, Verdict.GRACE):
            return Decision(verdict, successor_jti=result[1], successor_iat=int(result[2]) // 1000)
        if verdict is Verdict.REVOKED:
            return Decision(verdict, revoked_reason=result[1])
        return Decision(verdict)

    async def revoke_sessions(self, sids: list[str], reason: str) -> None:
        if not sids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.set(_revoked_key(sid), reason, px=self._session_ttl_ms)
            await pipe.execute()

    async def revoked_reason(self, sid: str) -> str | None:
        value = await self._redis.get(_revoked_key(sid))
        return None if value is None else str(value)
