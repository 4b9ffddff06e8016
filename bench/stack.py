"""The whole stack, booted with the launcher's own code (devstack's `Stack`, what `make run`
and the end-to-end tests use) on free loopback ports, in a throw-away data folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from devstack.datadir import wipe
from devstack.processes import LogSink
from devstack.settings import StackSettings, find_root
from devstack.stack import Stack

ROOT = find_root(Path(__file__).resolve())

# The gateway's per-address limit on /api (100 requests/s by default) would answer most of a
# load test with 429; the limiter still runs, with a ceiling no benchmark reaches.
GATEWAY_RATE_ENV = {"GATEHOUSE_API_RATE_AVERAGE": "1000000", "GATEHOUSE_API_RATE_BURST": "1000000"}


@contextlib.contextmanager
def running_stack(log_dir: Path) -> Iterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    # durable=True: PostgreSQL fsyncs its commits, as under `make run`.
    settings = StackSettings.on_free_ports(ROOT, data_dir, durable=True)
    os.environ.update(GATEWAY_RATE_ENV)  # Traefik inherits the launcher's environment
    log = open(log_dir / "stack.log", "w", buffering=1)  # noqa: SIM115 - the stack's threads write to it
    stack = Stack(settings, sink=LogSink(stream=log))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        leftovers = stack.leftovers()
        wipe(data_dir)
        log.close()
        if leftovers:
            raise RuntimeError(f"the stack left process groups running: {leftovers}")


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
