"""The whole stack for the benchmarks: devstack's throw-away-stack helper (the launcher's own
`Stack`, what `make run` and the end-to-end tests use) on free loopback ports, in a throw-away
data folder, with the gateway's per-address rate limit out of the way."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from devstack.settings import find_root
from devstack.stack import Stack
from devstack.throwaway import UNLIMITED_GATEWAY_RATE, throwaway_stack

ROOT = find_root(Path(__file__).resolve())


@contextlib.contextmanager
def running_stack(log_dir: Path) -> Iterator[Stack]:
    # durable=True: PostgreSQL fsyncs its commits, as under `make run`.
    log_file = log_dir / "stack.log"
    with throwaway_stack("bench", log_file, UNLIMITED_GATEWAY_RATE, durable=True) as running:
        yield running.stack


def pid_of(stack: Stack, name: str) -> int:
    """The pid of one of the stack's processes: auth, resource, gateway, web, postgres, redis."""
    if name in stack.children:
        pid = stack.children[name].pid
    else:
        server = {"postgres": stack.postgres, "redis": stack.redis}[name]
        pid = server.process.pid if server is not None and server.process is not None else None
    if pid is None:
        raise RuntimeError(f"{name} is not running")
    return pid
