"""Fixtures that boot the whole stack exactly as `make run` does (devstack's `Stack`, the
launcher's own code) on free ports, each with a data folder of its own, and stop it
afterwards with nothing left running.

- `stack`: one stack for the session, with a bootstrap administrator (ADMIN_EMAIL).
- `replica_stack`: two auth and two resource replicas behind the gateway.
- `stack_factory(env)`: another stack with extra settings, e.g.
  `stack_factory({"AUTH_ACCESS_TOKEN_TTL": "5"})`; each call boots a new one (about as
  long as `make run` warm), all stopped at the end of the session.

Each stack's combined log goes to tests-e2e/artifacts/<name>.log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import httpx
import pytest
from devstack.throwaway import UNLIMITED_GATEWAY_RATE
from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD, RunningStack, boot_stack


@pytest.fixture(scope="session")
def stack_factory() -> Iterator[Callable[..., RunningStack]]:
    started: list[RunningStack] = []

    def start(env: Mapping[str, str] | None = None, name: str | None = None) -> RunningStack:
        running = boot_stack(env, name)
        started.append(running)
        return running

    yield start
    leftovers = {running.log_file.stem: running.shutdown() for running in reversed(started)}
    assert not any(leftovers.values()), f"processes left running: {leftovers}"


@pytest.fixture(scope="session")
def stack(stack_factory: Callable[..., RunningStack]) -> RunningStack:
    return stack_factory(
        {
            "AUTH_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "AUTH_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        },
        name="main",
    )


@pytest.fixture(scope="session")
def replica_stack(stack_factory: Callable[..., RunningStack]) -> RunningStack:
    """Two auth and two resource replicas behind the gateway, as
    `GATEHOUSE_AUTH_REPLICAS=2 GATEHOUSE_RESOURCE_REPLICAS=2 make run` starts them."""
    return stack_factory(
        {
            "GATEHOUSE_AUTH_REPLICAS": "2",
            "GATEHOUSE_RESOURCE_REPLICAS": "2",
            # Keys rotated through the CLI reach every replica within a second.
            "AUTH_KEY_RELOAD_INTERVAL": "0.5",
            "RESOURCE_JWKS_REFETCH_INTERVAL": "1",
            # A small per-account limit, to see it hold across replicas.
            "AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT": "3",
            # Load from one address: the gateway's per-address limit must not answer it.
            **UNLIMITED_GATEWAY_RATE,
            "AUTH_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "AUTH_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        },
        name="replicas",
    )


@pytest.fixture
def client(stack: RunningStack) -> Iterator[httpx.Client]:
    with stack.client() as http:
        yield http
