"""`make run`'s launcher itself (`devstack run`): it serves, keeps its data between runs,
refuses a second launch clearly, names a busy port, stops every process it started on
SIGTERM or Ctrl-C (at any moment of its start-up too), and a launcher killed outright
(SIGKILL) leaves nothing that blocks the next start."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from devstack.datadir import AlreadyRunning, DataDirLock, wipe
from devstack.gateway import tool
from devstack.leftovers import identity
from devstack.ports import port_in_use
from devstack.processes import LogSink, StepFailed
from devstack.settings import PORTS, StackSettings
from devstack.stack import Stack
from devstack.throwaway import throwaway_settings
from tests_e2e.stacks import RunningStack
from tests_e2e.waiting import wait_until

PASSWORD = "a perfectly fine e2e passphrase"


def launcher_env(settings: StackSettings) -> dict[str, str]:
    """The environment that makes `devstack run` use `settings`' ports and data folder."""
    env = {**os.environ, "GATEHOUSE_DATA_DIR": str(settings.data_dir), "NO_COLOR": "1"}
    for name, variable, _ in PORTS:
        env[variable] = str(getattr(settings, name))
    return env


def processes_of(data_dir: Path) -> list[int]:
    """Live processes started for the stack on `data_dir` (they inherit GATEHOUSE_DATA_DIR)."""
    marker = f"GATEHOUSE_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


class Launcher:
    """`devstack run` as a child process, its output collected line by line."""

    def __init__(self, settings: StackSettings, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [tool("devstack"), "run"],
            env={**launcher_env(settings), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout as output:
            for line in output:
                self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        wait_until(lambda: condition() or self.process.poll() is not None, what, timeout=120)
        assert self.process.poll() is None, f"the launcher exited:\n{self.output()}"

    def wait_ready(self) -> None:
        """The launcher's own readiness: its ready file (written after the banner)."""
        self.wait_for(self.is_ready, "`devstack run` to write its ready file")
        assert "Gatehouse is running at" in self.output()

    def is_ready(self) -> bool:
        """This launcher's ready file (one killed outright leaves its own: another pid)."""
        try:
            ready = (self.settings.data_dir / "ready").read_text()
        except FileNotFoundError:
            return False
        return ready.strip() == f"{self.process.pid} {self.settings.public_url}"

    def said(self) -> list[str]:
        """The launcher's own lines (`devstack | …`), without the prefix."""
        return [
            line.split("|", 1)[1].strip() for line in self.lines if line.startswith("devstack ")
        ]

    def stop(self, sig: int) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(60)
        self._reader.join(5)
        return code


@pytest.fixture
def settings() -> Iterator[StackSettings]:
    settings = throwaway_settings("e2e-launcher")
    yield settings
    wipe(settings.data_dir)


def test_devstack_run_serves_keeps_data_and_stops_everything(settings: StackSettings) -> None:
    first = Launcher(settings)
    try:
        first.wait_ready()
        banner = first.output()
        base = settings.public_url
        assert f"Gatehouse is running at {base}" in banner
        assert f"{base}/api/auth/docs" in banner and f"{base}/api/resource/docs" in banner
        assert "AUTH_BOOTSTRAP_ADMIN_EMAIL" in banner
        assert f"Mail inbox:    {settings.mail_url}" in banner
        assert {"auth ", "resource ", "gateway ", "postgres ", "redis ", "web ", "mail "} <= {
            line.split("|", 1)[0].rstrip() + " " for line in first.lines if "|" in line
        }
        assert "Health check failed" not in banner
        # The command line, as the banner says to call it, reaches this stack.
        command = first.lines[
            first.lines.index("  Command line:  (keys, clients, users; --help lists them)") + 1
        ]
        settings_part, program = command.strip().removesuffix(" --help").rsplit(" ", 1)
        cli_env = dict(item.split("=", 1) for item in settings_part.split())
        keys = subprocess.run(
            [str(settings.root / program), "keys", "list"],
            env={"PATH": os.environ["PATH"], **cli_env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert keys.returncode == 0 and '"signing"' in keys.stdout, keys.stderr
        with httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("/").status_code == 200
            email = f"kept-{os.getpid()}@gatehouse.example"
            signup = http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
            assert signup.status_code == 201, signup.text
    finally:
        code = first.stop(signal.SIGTERM)
    assert code == 0, first.output()
    assert first.said()[-1] == "stopped; nothing left running", first.output()
    assert processes_of(settings.data_dir) == []
    assert not any(port_in_use(port) for _, port, _ in settings.ports())
    assert not (settings.data_dir / "ready").exists()

    # A second run on the same data folder: the account is still there; Ctrl-C stops it.
    second = Launcher(settings)
    try:
        second.wait_ready()
        with httpx.Client(base_url=settings.public_url, timeout=30) as http:
            login = http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200, login.text
    finally:
        code = second.stop(signal.SIGINT)
    assert code == 0, second.output()
    assert processes_of(settings.data_dir) == []


def test_a_second_launch_while_the_stack_runs_says_so(stack: RunningStack) -> None:
    result = subprocess.run(
        [tool("devstack"), "run"],
        env=launcher_env(stack.settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "already running" in result.stderr
    assert str(os.getpid()) in result.stderr  # the launcher holding it (here: pytest)
    with open(os.devnull, "w") as quiet, pytest.raises(AlreadyRunning):
        Stack(stack.settings, sink=LogSink(stream=quiet)).start()
    with stack.client() as http:
        assert http.get("/api/auth/healthz").status_code == 200


def test_a_busy_port_is_reported_with_the_setting_that_changes_it(
    settings: StackSettings,
) -> None:
    with socket.socket() as squatter, open(os.devnull, "w") as quiet:
        squatter.bind(("127.0.0.1", settings.gateway_port))
        squatter.listen()
        stack = Stack(settings, sink=LogSink(stream=quiet))
        with pytest.raises(StepFailed, match=f"{settings.gateway_port} .*GATEHOUSE_PORT"):
            stack.start()
    assert stack.leftovers() == []
    assert not stack.lock.held_by_someone()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stopping_a_two_plus_two_stack_logs_no_5xx_and_no_traceback(
    settings: StackSettings, sig: int
) -> None:
    """Each resource replica long-polls an auth replica's revocation feed: a stop must let
    those requests answer, not cancel them after the graceful timeout (a 500, a traceback)."""
    replicas = {"GATEHOUSE_AUTH_REPLICAS": "2", "GATEHOUSE_RESOURCE_REPLICAS": "2"}
    launcher = Launcher(settings, replicas)
    try:
        launcher.wait_ready()
        # Each resource replica's first request to the feed (its snapshot) is logged as it
        # answers; its long-polls after that are in flight when the stop comes.
        wait_until(
            lambda: launcher.output().count('"route": "/api/auth/revocations"') >= 2,
            what="both resource replicas to read the revocation feed",
            timeout=60,
        )
    finally:
        code = launcher.stop(sig)
    log = launcher.output()
    assert code == 0, log
    assert "Traceback" not in log
    assert "timeout graceful shutdown exceeded" not in log
    # Every answer but the probes' (a replica not yet ready answers /readyz 503, by design).
    answers = re.findall(r'"route": "([^"]*)", "status": (\d{3})', log)
    served = [
        int(status) for route, status in answers if not route.endswith(("/healthz", "/readyz"))
    ]
    assert served and not [s for s in served if s >= 500], log
    assert processes_of(settings.data_dir) == []


def _ready_through_the_gateway(settings: StackSettings) -> bool:
    try:
        return all(
            httpx.get(f"{settings.public_url}/api/{name}/readyz", timeout=2).status_code == 200
            for name in ("auth", "resource")
        )
    except httpx.HTTPError:
        return False


# Moments of the start-up, each what a SIGTERM may interrupt: processes just started,
# the databases, the migrations, the services starting, the gateway starting, and both
# services answering through the gateway (the launcher may not have finished: a banner,
# a ready file to write).
START_UP_MOMENTS: dict[str, Callable[[Launcher], bool]] = {
    "first output": lambda launcher: bool(launcher.lines),
    "databases up": lambda launcher: any("PostgreSQL and Redis up" in s for s in launcher.said()),
    "migrated": lambda launcher: any("databases migrated" in s for s in launcher.said()),
    "services starting": lambda launcher: any(line.startswith("auth ") for line in launcher.lines),
    "gateway starting": lambda launcher: any(
        line.startswith("gateway ") for line in launcher.lines
    ),
    "served through the gateway": lambda launcher: _ready_through_the_gateway(launcher.settings),
}


@pytest.mark.parametrize("moment", list(START_UP_MOMENTS))
def test_a_sigterm_during_start_up_stops_everything_and_says_so(
    settings: StackSettings, moment: str
) -> None:
    launcher = Launcher(settings)
    try:
        launcher.wait_for(lambda: START_UP_MOMENTS[moment](launcher), moment)
    finally:
        code = launcher.stop(signal.SIGTERM)
    assert code == 0, launcher.output()
    assert launcher.said()[-1] == "stopped; nothing left running", launcher.output()
    # The launcher's own traceback (the services' are theirs, inside JSON lines).
    assert not [line for line in launcher.lines if line.startswith("Traceback")]
    assert processes_of(settings.data_dir) == []
    assert not any(port_in_use(port) for _, port, _ in settings.ports())
    assert not (settings.data_dir / "ready").exists()
    assert not DataDirLock(settings.data_dir).held_by_someone()


def test_a_launcher_killed_outright_leaves_nothing_that_blocks_the_next_start(
    settings: StackSettings,
) -> None:
    first = Launcher(settings)
    try:
        first.wait_ready()
        started = {pid: identity(pid) for pid in processes_of(settings.data_dir)}
        assert len(started) >= 7  # postgres, redis, web, mail, gateway, auth, resource
    finally:
        first.stop(signal.SIGKILL)
    second = Launcher(settings)  # at once: what the first started may still be stopping
    try:
        second.wait_ready()
        assert [pid for pid, was in started.items() if identity(pid) == was] == []
        with httpx.Client(base_url=settings.public_url, timeout=30) as http:
            assert http.get("/api/auth/readyz").status_code == 200
    finally:
        code = second.stop(signal.SIGTERM)
    assert code == 0, second.output()
    assert "already in use" not in second.output()
    assert processes_of(settings.data_dir) == []


def test_the_start_up_log_has_no_failed_health_checks(settings: StackSettings) -> None:
    launcher = Launcher(settings)
    try:
        launcher.wait_ready()
        start_up = launcher.output()
    finally:
        launcher.stop(signal.SIGTERM)
    assert "Health check failed" not in start_up, start_up
    assert not [line for line in start_up.splitlines() if " WRN " in line or "level=warn" in line]
