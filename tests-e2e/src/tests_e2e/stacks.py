"""Booting whole stacks for the end-to-end tests, with the launcher's own code
(devstack's `Stack`, what `make run` uses), on free ports and a data folder of their own."""

from __future__ import annotations

import itertools
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from devstack.datadir import wipe
from devstack.processes import LogSink, StepFailed
from devstack.settings import StackSettings, find_root, replica_count
from devstack.stack import Stack

ADMIN_EMAIL = "admin@gatehouse.example"
ADMIN_PASSWORD = "e2e admin passphrase, long enough"  # noqa: S105 - a throw-away test stack

ARTIFACTS = find_root(Path(__file__)) / "tests-e2e" / "artifacts"
_numbers = itertools.count(1)


@dataclass
class RunningStack:
    """A booted stack; `base_url` is the gateway as a browser sees it (http://localhost:PORT)."""

    stack: Stack
    log_file: Path
    log: IO[str]
    env: Mapping[str, str] = field(default_factory=dict)

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


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def boot_stack(env: Mapping[str, str] | None = None, name: str | None = None) -> RunningStack:
    """Boot a stack on free ports in a fresh temporary data folder (what the fixtures use).
    GATEHOUSE_AUTH_REPLICAS / GATEHOUSE_RESOURCE_REPLICAS in `env` give it replicas."""
    name = name or f"stack-{next(_numbers)}"
    ARTIFACTS.mkdir(exist_ok=True)
    log_file = ARTIFACTS / f"{name}.log"
    data_dir = Path(tempfile.mkdtemp(prefix=f"gatehouse-e2e-{name}-"))
    given = dict(env or {})
    settings = StackSettings.on_free_ports(
        find_root(Path(__file__)),
        data_dir,
        auth_replicas=replica_count(given, "auth"),
        resource_replicas=replica_count(given, "resource"),
    )
    log = open(log_file, "w", buffering=1)  # noqa: SIM115 - the stack's threads write to it
    stack = Stack(settings, sink=LogSink(stream=log), env=env)
    try:
        stack.start()
    except StepFailed as error:
        wipe(data_dir)
        log.close()
        raise RuntimeError(
            f"{name} did not start: {error}\n--- {log_file}:\n{_tail(log_file)}"
        ) from None
    return RunningStack(stack=stack, log_file=log_file, log=log, env=dict(env or {}))


def served_by(stack: RunningStack, route: str) -> Counter[str]:
    """How many requests for `route` each service process (`auth`, `auth-2`, …) logged."""
    counts: Counter[str] = Counter()
    marker = f'"route": "{route}"'
    for line in stack.log_file.read_text(errors="replace").splitlines():
        name, bar, rest = line.partition(" |")
        if bar and marker in rest and '"logger": "gatehouse.access"' in rest:
            counts[name.strip()] += 1
    return counts


def served_since(
    stack: RunningStack, route: str, before: Counter[str], at_least: int, timeout: float = 10
) -> Counter[str]:
    """`served_by` since `before`, once at least `at_least` requests are logged (a request's
    access-log line reaches the stack's log a moment after its answer reaches the client)."""
    deadline = time.monotonic() + timeout
    while True:
        served = served_by(stack, route) - before
        if sum(served.values()) >= at_least or time.monotonic() > deadline:
            return served
        time.sleep(0.05)
