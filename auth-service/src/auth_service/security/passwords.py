"""Password hashing (argon2id through passlib) and the sign-up password policy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TypeVar

from passlib.context import CryptContext

MIN_LENGTH = 8
T = TypeVar("T")
MAX_LENGTH = 1024
_BCRYPT_MAX_BYTES = 72


# zxcvbn's list of the 30,000 most common passwords from real breaches (MIT), one a line:
# kept as one string of 240 kB, where a set of 30,000 strings took 3 MiB and importing
# zxcvbn's lists 14 MiB more. A look-up scans it (tens of microseconds, at sign-up only).
_COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@cache
def _common_passwords() -> str:
    return "\n" + _COMMON_PASSWORDS.read_text(encoding="utf-8")


def is_common_password(password: str) -> bool:
    """Whether `password` (as typed, case aside) is on the common-password list."""
    lowered = password.lower()
    return "\n" not in lowered and f"\n{lowered}\n" in _common_passwords()


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
    if is_common_password(password):
        return "This password is too common; choose another"
    if email and password.lower() == unicodedata.normalize("NFKC", email).strip().lower():
        return "The password must not be your email"
    return None


def default_hash_concurrency() -> int:
    """Every core: the hashing threads run at a lower priority than the event loop's."""
    return os.cpu_count() or 1


# Added to the hashing threads' nice value (Linux: per thread): AUTH_PASSWORD_HASH_NICENESS's
# default, for a hasher built without the setting (the CLI).
HASHING_NICENESS = 10


def _lower_this_threads_priority(niceness: int) -> None:
    """With a positive niceness a hashing thread weighs less than the event loop's (nice 10
    about ten times less) but also less than any other process on the host."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or not allowed
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


class PasswordHasher:
    """argon2id for new hashes; bcrypt hashes (imported users) verify and are upgraded."""

    def __init__(
        self,
        memory_cost: int,
        time_cost: int,
        parallelism: int,
        concurrency: int | None = None,
        niceness: int | None = None,
    ) -> None:
        # Hashes run in threads of their own (argon2 releases the GIL), at most `concurrency`
        # at once (`niceness` added to their OS priority): a burst of log-ins queues here and
        # uses every core, and the loop, woken, still answers everything else first.
        self._threads = ThreadPoolExecutor(
            max_workers=concurrency or default_hash_concurrency(),
            thread_name_prefix="password-hash",
            initializer=_lower_this_threads_priority,
            initargs=(HASHING_NICENESS if niceness is None else niceness,),
        )
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
        return await asyncio.get_running_loop().run_in_executor(self._threads, func, *args)

    def close(self) -> None:
        """Stops the hashing threads (once the hashes they are running are done)."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    async def warm_up(self) -> None:
        await self._dummy()
