"""glibc's allocator, told to give large freed blocks back to the OS.

A password hash (argon2id) takes one 19 MiB block, in a worker thread. By default glibc
raises its mmap threshold to the size of the last large block freed, so the next such block
comes from that thread's arena and stays resident once freed: about 19 MiB per hashing
thread, for the life of the process. A fixed threshold keeps every block from 1 MiB up on
mmap (returned on free), and two arenas per core bound what small allocations can scatter.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20


def return_large_blocks_to_the_os() -> bool:
    """Applies the settings above to this process; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    arenas = 2 * (os.cpu_count() or 1)
    threshold_set = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    arenas_set = mallopt(M_ARENA_MAX, arenas)
    return bool(threshold_set and arenas_set)
