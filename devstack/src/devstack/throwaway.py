"""Throw-away stacks for the end-to-end tests, the load run and the benchmarks: the launcher's
own `Stack` (what `make run` uses) on free loopback ports, in a fresh data folder, logging to
a file; stopped with nothing left running and its data folder removed."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from devstack.datadir import wipe
from devstack.processes import LogSink, StepFailed
from devstack.settings import StackSettings, find_root, replica_count
from devstack.stack import Stack

# The gateway's per-address limit on /api (100 requests/s by default) would answer a load run
# from one address with 429s; the limiter still runs, with a ceiling no test or bench reaches.
UNLIMITED_GATEWAY_RATE = {
    "GATEHOUSE_API_RATE_AVERAGE": "1000000",
    "GATEHOUSE_API_RATE_BURST": "1000000",
}


def throwaway_settings(
    name: str, env: Mapping[str, str] | None = None, durable: bool = False
) -> StackSettings:
    """Free ports and a fresh temporary data folder; GATEHOUSE_AUTH_REPLICAS and
    GATEHOUSE_RESOURCE_REPLICAS in `env` (not the process's environment) give replicas."""
    given = env or {}
    return StackSettings.on_free_ports(
        find_root(Path(__file__)),
        Path(tempfile.mkdtemp(prefix=f"gatehouse-{name}-")),
        durable=durable,
        auth_replicas=replica_count(given, "auth"),
        resource_replicas=replica_count(given, "resource"),
    )


@dataclass
class ThrowawayStack:
    """A booted stack; `base_url` is the gateway as a browser sees it (http://localhost:PORT)."""

    stack: Stack
    log_file: Path
    log: IO[str]

    @property
    def base_url(self) -> str:
        return self.stack.base_url

    @property
    def settings(self) -> StackSettings:
        return self.stack.settings

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client on the gateway with its own cookie jar."""
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)

    def shutdown(self) -> list[int]:
        """Stop everything and wipe the data folder; return leftover process groups (none)."""
        self.stack.stop()
        leftovers = self.stack.leftovers()
        wipe(self.settings.data_dir)
        self.log.close()
        return leftovers


def boot(
    name: str, log_file: Path, env: Mapping[str, str] | None = None, durable: bool = False
) -> ThrowawayStack:
    """Start a throw-away stack; `env` adds to the environment of its processes (Traefik
    included), never to ours. Raises RuntimeError, with the log's tail, if it does not start."""
    settings = throwaway_settings(name, env, durable)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_file, "w", buffering=1)  # noqa: SIM115 - the stack's threads write to it
    stack = Stack(settings, sink=LogSink(stream=log), env=env)
    try:
        stack.start()  # on failure, it stops what it started
    except BaseException as error:
        wipe(settings.data_dir)
        log.close()
        if isinstance(error, StepFailed):
            tail = _tail(log_file)
            raise RuntimeError(f"{name} did not start: {error}\n--- {log_file}:\n{tail}") from None
        raise
    return ThrowawayStack(stack=stack, log_file=log_file, log=log)


@contextlib.contextmanager
def throwaway_stack(
    name: str, log_file: Path, env: Mapping[str, str] | None = None, durable: bool = False
) -> Iterator[ThrowawayStack]:
    """`boot`, then `shutdown` on the way out, whatever happened; raises RuntimeError if a
    process group of the stack outlived it."""
    running = boot(name, log_file, env, durable)
    try:
        yield running
    finally:
        leftovers = running.shutdown()
        if leftovers:
            raise RuntimeError(f"the {name} stack left process groups running: {leftovers}")


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
