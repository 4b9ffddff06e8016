"""Fixtures that boot the whole stack exactly as `make run` does (devstack's `Stack`, the
launcher's own code) on free ports, each with a data folder of its own, and stop it
afterwards with nothing left running.

- `stack`: one stack for the session, with a bootstrap administrator (ADMIN_EMAIL). A test
  marked `contract` (the HTTP contract through the gateway) runs twice: on that stack
  (`[one]`) and on `replica_stack` (`[replicas]`), both booted once for the session.
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


# A `contract` test's stack: one replica of each service, then two of each.
CONTRACT_STACKS = {"one": "single_stack", "replicas": "replica_stack"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "contract: runs on the one-replica stack and on the 2+2 replica stack"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("contract") and "stack" in metafunc.fixturenames:
        metafunc.parametrize("stack", list(CONTRACT_STACKS), indirect=True)


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> RunningStack:
    """The session's one-replica stack, or for a `contract` test each of CONTRACT_STACKS
    (cheap to switch: each is a session fixture of its own, booted once)."""
    name = CONTRACT_STACKS[getattr(request, "param", "one")]
    running: RunningStack = request.getfixturevalue(name)
    return running


@pytest.fixture(scope="session")
def single_stack(stack_factory: Callable[..., RunningStack]) -> RunningStack:
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
