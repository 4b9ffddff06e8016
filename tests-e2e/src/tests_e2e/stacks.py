"""Booting whole stacks for the end-to-end tests with devstack's throw-away-stack helper
(the launcher's own `Stack`, what `make run` uses, on free ports and a data folder of its own)."""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from devstack.settings import find_root
from devstack.throwaway import ThrowawayStack, boot

ADMIN_EMAIL = "admin@gatehouse.example"
ADMIN_PASSWORD = "e2e admin passphrase, long enough"  # noqa: S105 - a throw-away test stack

ARTIFACTS = find_root(Path(__file__)) / "tests-e2e" / "artifacts"
_numbers = itertools.count(1)
_ROUTE = re.compile(r'"route": "([^"]*)"')
_PROBES = ("/healthz", "/readyz")

RunningStack = ThrowawayStack


def boot_stack(env: Mapping[str, str] | None = None, name: str | None = None) -> RunningStack:
    """Boot a stack on free ports in a fresh temporary data folder (what the fixtures use),
    logging to tests-e2e/artifacts/<name>.log. GATEHOUSE_AUTH_REPLICAS /
    GATEHOUSE_RESOURCE_REPLICAS in `env` give it replicas."""
    name = name or f"stack-{next(_numbers)}"
    return boot(f"e2e-{name}", ARTIFACTS / f"{name}.log", env)


def served_by(stack: RunningStack, route: str | None = None) -> Counter[str]:
    """How many requests for `route` each service process (`auth`, `auth-2`, …) logged;
    with no route, requests for any route but the health probes (the gateway's health
    check sends those to every replica, twice a second)."""
    counts: Counter[str] = Counter()
    for line in stack.log_file.read_text(errors="replace").splitlines():
        name, bar, rest = line.partition(" |")
        if not bar or '"logger": "gatehouse.access"' not in rest:
            continue
        found = _ROUTE.search(rest)
        logged = found.group(1) if found else None
        if logged and (logged == route if route else not logged.endswith(_PROBES)):
            counts[name.strip()] += 1
    return counts


def served_since(
    stack: RunningStack,
    route: str | None,
    before: Counter[str],
    at_least: int,
    timeout: float = 10,
) -> Counter[str]:
    """`served_by` since `before`, once at least `at_least` requests are logged (a request's
    access-log line reaches the stack's log a moment after its answer reaches the client)."""
    deadline = time.monotonic() + timeout
    while True:
        served = served_by(stack, route) - before
        if sum(served.values()) >= at_least or time.monotonic() > deadline:
            return served
        time.sleep(0.05)
