"""What the revocation feed has named, in memory: a few set and dict look-ups per token."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from auth_client.principal import Principal


class RevocationIndex:
    """Session ids, token ids (`jti`), client ids, and subjects with a not-before time."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.sids: set[str] = set()
        self.jtis: set[str] = set()
        self.clients: set[str] = set()
        self.subjects: dict[str, int] = {}  # sub -> tokens with an earlier `iat` are refused
        self._expiry: dict[tuple[str, str], float] = {}

    def __len__(self) -> int:
        return len(self._expiry)

    def refuses(self, principal: Principal) -> bool:
        claims = principal.claims
        if principal.sid in self.sids or principal.client_id in self.clients:
            return True
        if self.jtis and claims.get("jti") in self.jtis:
            return True
        not_before = self.subjects.get(principal.sub)
        if not_before is None:
            return False
        iat = claims.get("iat")
        return not isinstance(iat, int | float) or iat < not_before

    def replace(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """A snapshot: what it holds is everything that is still revoked."""
        self.sids, self.jtis, self.clients, self.subjects = set(), set(), set(), {}
        self._expiry = {}
        self.add(entries)

    def add(self, entries: Iterable[Mapping[str, Any]]) -> None:
        for entry in entries:
            kind, value = str(entry["kind"]), str(entry["value"])
            if kind == "session":
                self.sids.add(value)
            elif kind == "token":
                self.jtis.add(value)
            elif kind == "client":
                self.clients.add(value)
            elif kind == "subject":
                not_before = int(entry.get("not_before") or 0)
                self.subjects[value] = max(not_before, self.subjects.get(value, 0))
            else:
                continue  # a kind of a newer auth service: ignored, not fatal
            key = (kind, value)
            self._expiry[key] = max(float(entry["expires_at"]), self._expiry.get(key, 0.0))
        self.prune()

    def prune(self) -> None:
        """Forgets entries whose every token has expired."""
        now = self._clock()
        for key in [key for key, expires_at in self._expiry.items() if expires_at <= now]:
            del self._expiry[key]
            kind, value = key
            if kind == "session":
                self.sids.discard(value)
            elif kind == "token":
                self.jtis.discard(value)
            elif kind == "client":
                self.clients.discard(value)
            else:
                self.subjects.pop(value, None)
