"""Password hashing (argon2id through passlib) and the sign-up password policy."""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import TypeVar

import anyio
import anyio.to_thread
from passlib.context import CryptContext

MIN_LENGTH = 8
T = TypeVar("T")
MAX_LENGTH = 1024
_BCRYPT_MAX_BYTES = 72


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from real breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def normalize_password(password: str) -> str:
    """NFKC, so that a password typed in fullwidth (an East Asian keyboard) matches its
    ASCII form. Hashes of before this were of ASCII passwords in practice, which NFKC
    leaves as they are: no re-hashing was needed."""
    return unicodedata.normalize("NFKC", password)


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why this password is refused at sign-up (NIST SP 800-63B), or None if it is fine."""
    password = normalize_password(password)
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if lowered in _common_passwords():
        return "This password is too common; choose another"
    if email and lowered == unicodedata.normalize("NFKC", email).strip().lower():
        return "The password must not be your email"
    return None


def default_hash_concurrency() -> int:
    """One core left to the event loop (and at least one hash at a time)."""
    return max(1, (os.cpu_count() or 1) - 1)


class PasswordHasher:
    """argon2id for new hashes; bcrypt hashes (imported users) verify and are upgraded."""

    def __init__(
        self, memory_cost: int, time_cost: int, parallelism: int, concurrency: int | None = None
    ) -> None:
        # Hashes run in worker threads, at most `concurrency` at once: a burst of log-ins
        # queues here instead of taking every core from the event loop, which keeps
        # answering everything else meanwhile.
        self._slots = anyio.CapacityLimiter(concurrency or default_hash_concurrency())
        self._context = CryptContext(
            schemes=["argon2", "bcrypt"],
            deprecated=["bcrypt"],
            argon2__type="ID",
            argon2__memory_cost=memory_cost,
            argon2__rounds=time_cost,
            argon2__parallelism=parallelism,
        )
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self._run(self._context.hash, normalize_password(password))

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """(matches, new hash when the stored one should be upgraded).

        With no stored hash (unknown user) a dummy hash is verified anyway, so that the
        answer takes as long as for a real user.
        """
        password = normalize_password(password)
        if stored_hash is None:
            await self._run(self._context.verify, password, await self._dummy())
            return False, None
        if self._context.identify(stored_hash) == "bcrypt" and (
            len(password.encode()) > _BCRYPT_MAX_BYTES
        ):
            # bcrypt ignores what follows byte 72; refuse instead of matching a prefix.
            await self._run(self._context.verify, password, await self._dummy())
            return False, None
        ok, new_hash = await self._run(self._context.verify_and_update, password, stored_hash)
        return bool(ok), new_hash

    async def _run(self, func: Callable[..., T], *args: str) -> T:
        return await anyio.to_thread.run_sync(func, *args, limiter=self._slots)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    async def warm_up(self) -> None:
        await self._dummy()
