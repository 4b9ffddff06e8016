"""The one-shot steps before the services start: both services' migrations."""

from __future__ import annotations

from collections.abc import Mapping

from devstack import gateway
from devstack.processes import ManagedProcess, StepFailed
from devstack.replicas import SERVICES


def script(name: str) -> str:
    """A console script of this environment (`auth-service`), or StepFailed saying why not."""
    try:
        return gateway.tool(name)
    except FileNotFoundError as error:
        raise StepFailed(f"{error} (is the {name} package installed?)") from error


def migration_steps(env: Mapping[str, str]) -> list[ManagedProcess]:
    """`<service> migrate` of each service, to be started (at once: they are independent)."""
    return [
        ManagedProcess(f"migrate-{name}", [script(console), "migrate"], env=env)
        for name, _, _, console in SERVICES
    ]


def wait_for_migrations(steps: list[ManagedProcess], timeout: float = 300) -> None:
    failed = []
    for step in steps:
        code = step.process.wait(timeout) if step.process is not None else -1
        step.stop()
        if code != 0:
            failed.append(f"{step.name} exited with status {code}")
    if failed:
        raise StepFailed("migrations failed: " + "; ".join(failed) + " (its log is above)")
