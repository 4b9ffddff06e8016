"""The counting behind the limits (ratelimit.py): the Redis scripts that reserve, give
back and peek at counters in one atomic step, and the in-process fallback used while Redis
is down (fixed windows in memory, bounded in size)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

# KEYS: counters; ARGV[1]: window (s); ARGV[1 + i]: limit of KEYS[i], 0 for none.
# Returns {0, i, pttl} when KEYS[i] is at its limit, else {1, count_1, ..., count_n}.
RESERVE = """
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 1])
  if limit > 0 and tonumber(redis.call('GET', key) or '0') >= limit then
    return {0, i, redis.call('PTTL', key)}
  end
end
local counts = {1}
for i, key in ipairs(KEYS) do
  counts[i + 1] = redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[1]) end
end
return counts
"""
# KEYS: counters; ARGV[i]: 'clear' to delete KEYS[i], else one attempt is given back.
# Never DECR a key that expired meanwhile: that would make a counter without a TTL.
RELEASE = """
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if ARGV[i] == 'clear' or count <= 1 then redis.call('DEL', key)
  else redis.call('DECR', key) end
end
return 0
"""
# KEYS[1]: a counter; ARGV[1]: its limit. The milliseconds left when it is at the limit, else -3.
PEEK = """
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  return redis.call('PTTL', KEYS[1])
end
return -3
"""


@dataclass(frozen=True)
class Counter:
    key: str
    limit: int  # 0: counted, never refused
    metric: str
    clear_on_success: bool = False


@dataclass(frozen=True)
class Reservation:
    counters: tuple[Counter, ...]
    local: bool  # reserved in this process (Redis was down)


class LocalCounts:
    """The fallback: fixed windows in memory, bounded in size."""

    MAX_KEYS = 100_000

    def __init__(self, window: int) -> None:
        self._window = window
        self._counts: dict[str, tuple[int, float]] = {}

    def get(self, key: str) -> tuple[int, float]:
        count, expires = self._counts.get(key, (0, 0.0))
        now = time.monotonic()
        return (count, expires - now) if expires > now else (0, 0.0)

    def reserve(self, counters: tuple[Counter, ...]) -> tuple[Counter, float] | list[int]:
        for counter in counters:  # one event-loop step: atomic within this process
            count, left = self.get(counter.key)
            if counter.limit and count >= max(1, counter.limit // 2):
                return counter, left
        if len(self._counts) >= self.MAX_KEYS:
            self._counts.clear()  # under a flood, forgetting beats running out of memory
        counts = []
        for counter in counters:
            count, left = self.get(counter.key)
            expires = time.monotonic() + (left if count else self._window)
            self._counts[counter.key] = (count + 1, expires)
            counts.append(count + 1)
        return counts

    def bump(self, key: str) -> int:
        count, left = self.get(key)
        self._counts[key] = (count + 1, time.monotonic() + (left if count else self._window))
        return count + 1

    def start_cooldown(self, key: str, seconds: int) -> bool:
        if self.get(key)[0]:
            return False
        self._counts[key] = (1, time.monotonic() + seconds)
        return True

    def release(self, counters: tuple[Counter, ...]) -> None:
        for counter in counters:
            count, expires = self._counts.get(counter.key, (0, 0.0))
            if counter.clear_on_success or count <= 1:
                self._counts.pop(counter.key, None)
            else:
                self._counts[counter.key] = (count - 1, expires)


def hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
