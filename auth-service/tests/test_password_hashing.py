"""How passwords are hashed and screened: the common-password list as shipped, hashing on
every core below the event loop's priority, and argon2's memory given back to the OS."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from auth_service.security.passwords import PasswordHasher, is_common_password, password_problem
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tests.helpers import PASSWORD, registry


def test_every_password_of_zxcvbns_common_list_is_refused_and_others_are_not() -> None:
    common = FREQUENCY_LISTS["passwords"]
    assert all(is_common_password(password) for password in common)
    assert password_problem("Dragon12") == "This password is too common; choose another"
    for fine in ("lantern-quarry-47", "dragon12 ", "ragon12", "12345678\n123456789", ""):
        assert not is_common_password(fine), fine


def _nice_of(thread_id: int) -> int:
    with open(f"/proc/self/task/{thread_id}/stat") as stat:
        return int(stat.read().rpartition(")")[2].split()[16])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
async def test_passwords_hash_on_every_core_and_a_niceness_lowers_their_priority() -> None:
    hasher = PasswordHasher(19_456, 2, 1, niceness=10)
    try:
        hashes = await asyncio.gather(*(hasher.hash(f"passphrase {n}") for n in range(4)))
        assert await hasher.verify("passphrase 1", hashes[1]) == (True, None)
        threads = hasher._threads._threads
        assert len(threads) == (os.cpu_count() or 1)
        loop_nice = _nice_of(threading.get_native_id())
        assert all(_nice_of(t.native_id) > loop_nice for t in threads if t.native_id)
    finally:
        hasher.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
async def test_by_default_passwords_hash_below_the_event_loops_priority(make_client) -> None:
    async with make_client() as client:
        await client.post("/api/auth/signup", json={"email": "a@example.org", "password": PASSWORD})
        threads = registry(client).hasher._threads._threads  # this app's hashing threads
        loop_nice = _nice_of(threading.get_native_id())
        assert threads and all(_nice_of(t.native_id) > loop_nice for t in threads if t.native_id)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
async def test_a_niceness_of_zero_hashes_at_the_event_loops_own_priority(make_client) -> None:
    async with make_client(password_hash_niceness=0) as client:
        await client.post("/api/auth/signup", json={"email": "a@example.org", "password": PASSWORD})
        threads = registry(client).hasher._threads._threads
        loop_nice = _nice_of(threading.get_native_id())
        assert threads and all(_nice_of(t.native_id) == loop_nice for t in threads if t.native_id)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_argon2s_memory_goes_back_to_the_os_with_the_periodic_trim() -> None:
    # A fresh interpreter: the allocator's state of this test session must not hide a leak.
    script = textwrap.dedent(
        """
        import asyncio
        from service_kit import memory
        from auth_service.security.passwords import PasswordHasher

        def rss_mib():
            with open("/proc/self/status") as status:
                return int(status.read().split("VmRSS:")[1].split()[0]) / 1024

        async def main():
            memory.tune_allocator()  # as the auth service's lifespan does
            hasher = PasswordHasher(19_456, 2, 1, concurrency=4)
            await hasher.hash("warm-up passphrase")
            before = rss_mib()
            for _ in range(3):
                await asyncio.gather(*(hasher.hash(f"passphrase {n}") for n in range(4)))
            await memory.trim()  # what the lifespan's periodic trim does each time
            print(rss_mib() - before)
            hasher.close()

        asyncio.run(main())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    # Four threads keeping their 19 MiB block would leave about 57 MiB more resident.
    assert float(out.stdout) < 19, out.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_memory_freed_between_live_blocks_goes_back_to_the_os_with_the_periodic_trim() -> None:
    script = textwrap.dedent(
        """
        import asyncio
        from service_kit import memory

        def rss_mib():
            with open("/proc/self/status") as status:
                return int(status.read().split("VmRSS:")[1].split()[0]) / 1024

        blocks = [bytes(4000) for _ in range(50_000)]  # about 200 MiB from malloc
        kept = blocks[::50]  # one in fifty stays: the heap cannot shrink from its top
        del blocks
        before = rss_mib()

        asyncio.run(memory.trim())  # what the lifespan's periodic trim does each time
        print(before - rss_mib())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert float(out.stdout) > 100, out.stdout  # of the ~190 MiB freed between the kept ones
