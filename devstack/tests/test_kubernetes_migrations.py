"""The migration Job and the init containers migrate with exactly the environment they get.

The rendered production manifests are the source: each Secret reference is filled with a
value for a throw-away PostgreSQL, nothing else of this machine's environment leaks in.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sysconfig
from pathlib import Path

import pytest
from devstack.postgres import Postgres
from k8s_manifests import KUBERNETES, Obj, named, render

SCRIPTS = Path(sysconfig.get_path("scripts"))
PRODUCTION = KUBERNETES / "overlays" / "production"


def container_env(container: Obj, secret_values: dict[str, str]) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"]}
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        env[var["name"]] = secret_values[ref["key"]] if ref else var["value"]
    return env


@pytest.mark.parametrize(
    ("service", "database_key", "count_rows"),
    [
        ("auth-service", "AUTH_DATABASE_URL", "SELECT count(*) FROM users"),
        ("resource-service", "RESOURCE_DATABASE_URL", "SELECT count(*) FROM notes"),
    ],
)
def test_the_job_and_init_containers_migrate_at_once_and_again_safely(
    postgres_server: Postgres, service: str, database_key: str, count_rows: str
) -> None:
    database = f"k8s_{service.replace('-', '_')}"
    postgres_server.create_database(database)
    values = {
        database_key: postgres_server.url(database),
        "AUTH_KEY_ENCRYPTION_KEY": secrets.token_hex(32),
    }
    objects = render(PRODUCTION)
    (job,) = named(objects, "Job", f"{service}-migrate")["spec"]["template"]["spec"]["containers"]
    pod = named(objects, "Deployment", service)["spec"]["template"]["spec"]
    steps = [job, *pod["initContainers"], *pod["initContainers"]]  # a Job and two new pods

    def start(container: Obj) -> subprocess.Popen[str]:
        program, *args = container["command"]
        return subprocess.Popen(
            [str(SCRIPTS / program), *args],
            env=container_env(container, values),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    running = [start(c) for c in steps]  # at once: the advisory lock serialises them
    outputs = [p.communicate(timeout=120)[0] for p in running]
    assert [p.returncode for p in running] == [0] * len(steps), outputs
    rerun = start(steps[1])  # a restarted pod finds nothing to do
    assert rerun.communicate(timeout=120)[0] and rerun.returncode == 0
    # Racing runs that were not serialised would have failed creating the same tables.
    assert postgres_server.psql(count_rows, database=database).split() == ["0"]
