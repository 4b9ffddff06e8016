"""The rotation ledger's Redis side: the fast path, never the only record.

PostgreSQL holds the rotation truth (sessions.current_jti_hash, previous_jti_hash,
rotated_at): one conditional UPDATE rotates, and a token that is not the session's current
one is judged from the session's row (grace replay or reuse). Redis keeps what PostgreSQL
has committed about ended sessions, which access tokens need too:
  gh:sess:revoked:<sid>      -> reason               a revoked session (also for access tokens)
  gh:denylist:complete       -> "1"                  the revoked marks are all there
  gh:rt:spent:<sha256(jti)>  -> "<rotated at, ms>"   read only: see below
Each key expires when what it denies would have expired anyway. Losing every key changes
no answer: PostgreSQL decides again, and the missing `complete` mark tells that Redis lost
its revoked marks, which are then restored from PostgreSQL (see sessions/revocations.py).

Spent refresh tokens are not marked in Redis: PostgreSQL's UPDATE already tells a spent
token from the current one, so a mark would spare a replay one database read, at the price
of a Redis write on every rotation and a key per rotation kept for the token's lifetime
(with `noeviction`, Redis' memory would grow with the rotations of the last
`AUTH_REFRESH_TOKEN_TTL`). The marks earlier versions wrote are still read, in the same
MGET as the revoked mark (no extra round trip), until they expire: a token spent under a
version before 0004, whose session has no ledger yet, must not be adopted by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio as aioredis

from auth_service.tokens.refresh import jti_hash


@dataclass(frozen=True)
class Hint:
    """What Redis remembers of a refresh token's session and of the token itself."""

    revoked_reason: str | None
    spent_at_ms: int | None


def _spent_key(jti: str) -> str:
    return "gh:rt:spent:" + jti_hash(jti)


def _revoked_key(sid: str) -> str:
    return f"gh:sess:revoked:{sid}"


_COMPLETE_KEY = "gh:denylist:complete"


def _spent_at(value: str | None) -> int | None:
    # Written before revision 0004 as "<successor>|<ms>"; since then as "<ms>".
    return None if value is None else int(value.rpartition("|")[2])


class RotationLedger:
    """Ended sessions, as PostgreSQL committed them, and the reuse grace window."""

    def __init__(self, redis: aioredis.Redis, session_ttl: int, grace_seconds: float) -> None:
        self._redis = redis
        self._session_ttl_ms = session_ttl * 1000
        self.grace = timedelta(seconds=grace_seconds)
        self.grace_ms = int(grace_seconds * 1000)

    async def hint(self, *, jti: str, sid: str) -> Hint:
        revoked, spent = await self._redis.mget(_revoked_key(sid), _spent_key(jti))
        return Hint(
            revoked_reason=None if revoked is None else str(revoked),
            spent_at_ms=_spent_at(None if spent is None else str(spent)),
        )

    async def revoke_sessions(self, sids: list[str], reason: str) -> None:
        if not sids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.set(_revoked_key(sid), reason, px=self._session_ttl_ms)
            await pipe.execute()

    async def is_revoked(self, sid: str) -> bool | None:
        """True or False; None when Redis cannot tell (it lost its revoked marks)."""
        revoked, complete = await self._redis.mget(_revoked_key(sid), _COMPLETE_KEY)
        if revoked is not None:
            return True
        return False if complete is not None else None

    async def restore(self, revoked: list[tuple[str, str]]) -> None:
        """Writes back revoked marks (sid, reason) from PostgreSQL, then marks them complete."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid, reason in revoked:
                pipe.set(_revoked_key(sid), reason, px=self._session_ttl_ms)
            pipe.set(_COMPLETE_KEY, "1")
            await pipe.execute()

    async def revoked_reason(self, sid: str) -> str | None:
        value = await self._redis.get(_revoked_key(sid))
        return None if value is None else str(value)
