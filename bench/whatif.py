"""Why a target was missed: a py-spy profile of the service under the same load (never during
a measured run), and helpers for the bench-only variants ("what-ifs") that measure a change
instead of guessing its gain."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from bench import benchenv, profile
from bench.context import Context
from bench.measure import Load, wait_quiet

# What-ifs run half the rounds of the measured items: they size a change; the run stays short.
WHAT_IF_ROUNDS = 2


def py_spy(ctx: Context, name: str, load: Load, pid: int) -> profile.Profile | None:
    """Run `load` again, with py-spy sampling `pid` meanwhile; its summary (None if none)."""
    print(f"bench: profiling: {name} (py-spy) ...", flush=True)
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    raw = ctx.log_dir / f"profile-{slug}.txt"
    seconds = max(5.0, ctx.seconds * 0.7)
    running = load.start(seconds)
    time.sleep(1.0)
    profile.start(benchenv.PY_SPY, pid, seconds - 3, raw).wait(timeout=seconds + 30)
    running.result()
    if load.script == "login":
        wait_quiet(load.url.replace("/login", "/healthz"))
    return profile.summarize(name, raw) if raw.exists() else None


@contextlib.contextmanager
def pinned(assignments: dict[int, set[int]]) -> Iterator[None]:
    """Pin every thread of each process (and our own, which wrk inherits) to some CPUs."""

    def pin(pid: int, cpus: set[int]) -> None:
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), cpus)

    every = set(range(os.cpu_count() or 1))
    try:
        for pid, cpus in assignments.items():
            pin(pid, cpus)
        yield
    finally:
        for pid in assignments:
            with contextlib.suppress(OSError):
                pin(pid, every)
