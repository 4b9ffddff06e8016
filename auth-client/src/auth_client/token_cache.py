"""A bounded LRU of tokens already verified, so a repeated token costs a hash, not an RSA check."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from auth_client.principal import Principal


@dataclass(frozen=True, slots=True)
class CachedVerification:
    principal: Principal
    kid: str
    expires_at: float  # the token's `exp`, seconds since the epoch


def fingerprint(token: str) -> bytes:
    """The key a token is cached under: its digest, so that the cache holds no credential."""
    return hashlib.sha256(token.encode()).digest()


class VerifiedTokenCache:
    """At most `max_entries` verifications, each dropped once its token's `exp` has passed."""

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[bytes, CachedVerification] = OrderedDict()
        self.hits = 0  # for monitoring (service_kit.observability)
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> CachedVerification | None:
        return self.get_by_fingerprint(fingerprint(token))

    def put(self, token: str, entry: CachedVerification) -> None:
        self.put_by_fingerprint(fingerprint(token), entry)

    # The verifier hashes a token once for the lookup and, on a miss, the insertion.
    def get_by_fingerprint(self, fingerprint: bytes) -> CachedVerification | None:
        entry = self._entries.get(fingerprint)
        if entry is None:
            self.misses += 1
            return None
        if self._clock() >= entry.expires_at:
            del self._entries[fingerprint]
            self.misses += 1
            return None
        self._entries.move_to_end(fingerprint)
        self.hits += 1
        return entry

    def put_by_fingerprint(self, fingerprint: bytes, entry: CachedVerification) -> None:
        self._entries[fingerprint] = entry
        self._entries.move_to_end(fingerprint)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
