"""glibc's allocator, told to give freed memory back to the OS.

A password hash (argon2id) takes one 19 MiB block, in a worker thread. By default glibc
raises its mmap threshold to the size of the last large block freed, so the next such block
comes from that thread's arena and stays resident once freed: about 19 MiB per hashing
thread, for the life of the process. A fixed threshold keeps every block from 1 MiB up on
mmap (returned on free), and two arenas per core bound what small allocations can scatter.
What a burst of requests leaves free inside the heaps goes back with a periodic trim.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
from typing import Any

M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20


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


def return_large_blocks_to_the_os() -> bool:
    """Applies the settings above to this process; False where the C library is not glibc."""
    libc = _libc()
    if libc is None:
        return False
    threshold_set = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    arenas_set = libc.mallopt(M_ARENA_MAX, 2 * (os.cpu_count() or 1))
    return bool(threshold_set and arenas_set)


async def trim_forever(interval: float) -> None:
    """Every `interval` seconds, the free pages inside the allocator's heaps go back to the
    OS (malloc_trim, in a worker thread: it walks every arena)."""
    libc = _libc()
    if libc is None:
        return
    while True:
        await asyncio.sleep(interval)
        await asyncio.to_thread(libc.malloc_trim, 0)
