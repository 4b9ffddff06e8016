"""A checkout in a folder other users cannot enter (a home folder, `mktemp -d`, a CI
workspace) works: as root PostgreSQL runs as `nobody`, which must never need a `chmod` of
the user's folders. Cloned for real into a fresh mode-700 folder, then `make run`'s launcher
and a database-backed test run from there."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest
from devstack.settings import PORTS, StackSettings, find_root
from tests_e2e.waiting import wait_until

ROOT = find_root(Path(__file__))
UV = ROOT / ".tools" / "bin" / "uv"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the private-folder case is about root running PostgreSQL as nobody"
)


def _run(args: list[str], cwd: Path, timeout: float = 300, **env: str) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clone_with_working_tree(target: Path) -> None:
    """`git clone`, then the working tree's own changes on top, so a developer's uncommitted
    work is what gets tested (in CI the two are the same)."""
    _run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(target)], cwd=ROOT)
    changed = _run(["git", "ls-files", "-m", "-o", "--exclude-standard", "-z"], cwd=ROOT)
    for name in filter(None, changed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture(scope="module")
def private_checkout() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="gatehouse-private-"))  # mode 700, like /root
    assert not home.stat().st_mode & (stat.S_IXOTH | stat.S_IXGRP)
    checkout = home / "gatehouse"
    try:
        _clone_with_working_tree(checkout)
        # What `make install` does, with the same uv and lock (packages come from uv's cache).
        _run(
            [str(UV), "sync", "--all-packages", "--locked", "--quiet"],
            cwd=checkout,
            UV_PYTHON_DOWNLOADS="never",
        )
        yield checkout
    finally:
        if (checkout / ".venv" / "bin" / "devstack").exists():
            subprocess.run(
                [str(checkout / ".venv" / "bin" / "devstack"), "clean"],
                cwd=checkout,
                capture_output=True,
                check=False,
                timeout=60,
            )
        shutil.rmtree(home, ignore_errors=True)


def test_postgres_programs_are_run_from_a_folder_nobody_can_reach(private_checkout: Path) -> None:
    where = _run(
        [".venv/bin/python", "-c", "import devstack.postgres as p; print(p.pg_bin('postgres'))"],
        cwd=private_checkout,
    ).strip()
    assert not Path(where).is_relative_to(private_checkout.parent)
    version = _run([where, "--version"], cwd=private_checkout)
    assert "PostgreSQL" in version


def test_make_run_serves_from_a_private_checkout(private_checkout: Path) -> None:
    settings = StackSettings.on_free_ports(private_checkout, private_checkout / ".devstack")
    env = {**os.environ, "NO_COLOR": "1"}
    for name, variable, _ in PORTS:
        env[variable] = str(getattr(settings, name))
    env.pop("GATEHOUSE_DATA_DIR", None)  # the default: .devstack inside the private checkout
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    launcher = subprocess.Popen(
        [".venv/bin/devstack", "run"],
        cwd=private_checkout,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    gateway = f"http://127.0.0.1:{settings.gateway_port}"
    ready = private_checkout / ".devstack" / "ready"
    try:
        # The launcher's own readiness: SIGTERM before it must stop cleanly too, but this
        # test is about serving.
        wait_until(lambda: _ready(ready, launcher, output), timeout=120, what="the stack")
        with httpx.Client(base_url=gateway, timeout=30) as client:
            page = client.get("/login")
            assert page.status_code == 200 and "Log in" in page.text
            signed_up = client.post(
                "/api/auth/signup",
                json={"email": "private@example.org", "password": "a private checkout works"},
            )
            assert signed_up.status_code == 201, signed_up.text  # written to PostgreSQL
            me = client.get(
                "/api/resource/me",
                headers={"Authorization": f"Bearer {signed_up.json()['access_token']}"},
            )
            assert me.status_code == 200 and me.json()["email"] == "private@example.org"
    finally:
        launcher.send_signal(signal.SIGTERM)
        code = launcher.wait(timeout=60)
        output.seek(0)
        log = output.read().decode(errors="replace")
        output.close()
    assert code == 0, log
    said = [line for line in log.splitlines() if line.startswith("devstack ")]
    assert said[-1] == "devstack  | stopped; nothing left running", log
    # The user's folders were left as they were: the data went elsewhere, with a message.
    assert not private_checkout.parent.stat().st_mode & stat.S_IXOTH
    assert "cannot reach" in log, log


def _ready(ready: Path, launcher: subprocess.Popen[bytes], output: IO[bytes]) -> bool:
    """The launcher's ready file, written by this launcher (its pid) after its banner."""
    if launcher.poll() is not None:
        output.seek(0)
        log = output.read().decode(errors="replace")
        raise AssertionError(f"the launcher exited with {launcher.returncode}:\n{log}")
    try:
        return ready.read_text().split()[0] == str(launcher.pid)
    except (FileNotFoundError, IndexError):
        return False


def test_a_database_backed_test_passes_in_a_private_checkout(private_checkout: Path) -> None:
    output = _run(
        [".venv/bin/pytest", "auth-service/tests/test_signup.py", "-q", "-p", "no:cacheprovider"],
        cwd=private_checkout,
        timeout=600,
    )
    assert " passed" in output and "error" not in output.lower(), output
