"""The process's memory: the garbage collector's view of start-up, and glibc's allocator.

The collector: everything a service builds before it serves (its modules, FastAPI's routes
and models, SQLAlchemy's mappers: about 175,000 objects in the auth service) lives as long
as the process, yet a full collection walks it each time with the event loop stopped,
which every request waiting then pays (BENCHMARKS.md has the figures). `frozen_after_start_up`
moves them out of the collector's sight once the service is up (`gc.freeze`), so a full
collection walks only what requests made since.

The allocator, tuned so that freed memory goes back to the OS without costing CPU.

A password hash (argon2id) takes one 19 MiB block, in a worker thread. By default each
hashing thread gets an arena of its own, glibc raises its mmap threshold to the size of the
last large block freed, and the block then stays resident in that thread's arena for the
life of the process (19 MiB per hashing thread); glibc's trim never shrinks such an arena.
A fixed low threshold is no cure: a fresh mmap per hash pays its page faults in CPU on
every hash.

So: one arena (the GIL serialises a Python service's allocations anyway), blocks up to
32 MiB from it, no trimming on each free (a burst reuses the same pages, without faults),
and a periodic `malloc_trim` that gives every free page back to the OS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from starlette.types import Lifespan

App = TypeVar("App")

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
SETTINGS = {
    M_ARENA_MAX: 1,
    M_MMAP_THRESHOLD: 32 << 20,  # glibc's maximum: an argon2 block comes from the heap
    M_TRIM_THRESHOLD: 512 << 20,  # frees never trim; `trim_forever` does
}


def _libc() -> Any | None:
    """glibc, or None (musl, macOS, no C library to load)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None
    return libc


def tune_allocator() -> bool:
    """Applies SETTINGS to this process (before its worker threads allocate); False where
    the C library is not glibc."""
    libc = _libc()
    return libc is not None and all(libc.mallopt(k, v) == 1 for k, v in SETTINGS.items())


async def trim() -> None:
    """The allocator's free pages go back to the OS now (malloc_trim, in a worker thread:
    it walks the whole heap); nothing where the C library is not glibc."""
    libc = _libc()
    if libc is not None:
        await asyncio.to_thread(libc.malloc_trim, 0)


async def trim_forever(interval: float) -> None:
    """Every `interval` seconds, `trim`."""
    if _libc() is None:
        return
    while True:
        await asyncio.sleep(interval)
        await trim()


def frozen_after_start_up(lifespan: Callable[[App], Any]) -> Lifespan[App]:
    """`lifespan`, then what start-up made frozen out of the collector's sight until
    shutdown (unfrozen then: a process that runs several apps, a test session, gets its
    objects collected again)."""

    @contextlib.asynccontextmanager
    async def frozen(app: App) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            gc.collect()  # the garbage of start-up is not kept for ever
            gc.freeze()
            try:
                yield state
            finally:
                gc.unfreeze()

    return frozen
