"""The whole Gatehouse stack on one machine: what `make run` starts and the e2e tests boot.

Order: PostgreSQL, Redis, the web server and the mail catcher start at once; then the
databases and both migrations; then both services; once each answers, Traefik (started
last, its first health checks pass: a quiet start-up log); the stack is ready when the
gateway routes to both services. Then `mark_ready()` writes `<data_dir>/ready`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from devstack import gateway, interrupts, revocation_client
from devstack.datadir import DataDirLock, postgres_dir, stop_leftover_postgres
from devstack.leftovers import ProcessRecord
from devstack.ports import http_status, port_in_use
from devstack.postgres import Postgres
from devstack.processes import (
    LogSink,
    ManagedProcess,
    StepFailed,
    describe,
    group_alive,
    kill_group,
)
from devstack.redis_server import RedisServer
from devstack.replicas import SERVICES, Replica, gateway_sees, replicas_of, wait_gateway
from devstack.settings import StackSettings
from devstack.wiring import service_env


class Stack:
    """Start with `start()`, stop with `stop()`; `env` adds to the launcher's environment."""

    def __init__(
        self,
        settings: StackSettings,
        sink: LogSink | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink or LogSink()
        self.extra_env = dict(env or {})
        self.lock = DataDirLock(settings.data_dir)
        self.record = ProcessRecord(settings.data_dir)
        # PostgreSQL's folder; `start()` finds where it is (maybe elsewhere: `postgres_dir`).
        self._pg_folder = settings.data_dir / "postgres"
        self.postgres: Postgres | None = None
        self.redis: RedisServer | None = None
        self.children: dict[str, ManagedProcess] = {}
        self._groups: list[int] = []
        self._stopped = False

    # ----------------------------------------------------------------- facts

    @property
    def base_url(self) -> str:
        return self.settings.public_url

    @property
    def ready_file(self) -> Path:
        """Present from `mark_ready()` until `stop()` begins: `<launcher pid> <public URL>`
        (left behind only by a launcher killed outright: that pid is gone)."""
        return self.settings.data_dir / "ready"

    def say(self, text: str) -> None:
        self.sink.line("devstack", text)

    def service_env(self) -> dict[str, str]:
        """The launcher's environment, plus what wires the services together."""
        if self.postgres is None or self.redis is None:
            raise RuntimeError("PostgreSQL and Redis must be started first")
        return service_env(self.settings, self.postgres, self.redis, self.extra_env)

    # ----------------------------------------------------------------- start

    def start(self) -> Stack:
        """Start everything and wait until the gateway serves both APIs; on any failure,
        stop what was started and raise StepFailed (or AlreadyRunning)."""
        began = time.monotonic()
        with interrupts.held():
            self.lock.acquire(self.base_url)
        try:
            self.ready_file.unlink(missing_ok=True)  # left by a launcher killed outright
            self._stop_leftovers()
            self._check_ports()
            self._start_infrastructure()
            self.say(f"PostgreSQL and Redis up ({time.monotonic() - began:.1f}s)")
            self._prepare_databases()
            self.say(f"databases migrated ({time.monotonic() - began:.1f}s)")
            self._start_services()
            self._wait_gateway()
        except BaseException:
            self.stop()
            raise
        self.say(f"ready in {time.monotonic() - began:.1f}s")
        return self

    def mark_ready(self) -> None:
        """Write the ready file: what a script (or a test) waits for, the banner's twin."""
        self.ready_file.write_text(f"{os.getpid()} {self.base_url}\n")

    def _stop_leftovers(self) -> None:
        """What a launcher of this data folder killed outright left running (we hold the
        folder's lock, so no launcher of it runs): stopped before the ports are checked."""
        self.record.stop_leftovers(self.say)
        self._pg_folder = postgres_dir(self.settings.data_dir, self.say)
        stop_leftover_postgres(self._pg_folder / "pgdata", self.say)

    def _check_ports(self) -> None:
        busy = [
            f"{port} ({what}; set {variable} to change it)"
            for what, port, variable in self.settings.ports()
            if port_in_use(port)
        ]
        if busy:
            raise StepFailed("port already in use by another program: " + ", ".join(busy))

    def _spawn(self, name: str, args: list[str], env: Mapping[str, str] | None = None) -> None:
        self._launch(ManagedProcess(name, args, env=env, cwd=str(self.settings.root)))

    def _launch(self, child: ManagedProcess) -> None:
        """Start `child` and record it, whole: an interrupt waits till both are done."""
        with interrupts.held():
            self.children[child.name] = child.start(self.sink)
            if child.pid is not None:
                self._own(child.pid, child.name, child.stop_signal)

    def _own(self, pid: int, name: str, stop_signal: signal.Signals) -> None:
        self._groups.append(pid)
        self.record.add(pid, name, stop_signal)

    def _start_infrastructure(self) -> None:
        s = self.settings
        python = sys.executable
        web = [python, "-m", "uvicorn", "devstack.webserver:create_app", "--factory"]
        web += ["--host", "127.0.0.1", "--port", str(s.web_port), "--no-access-log"]
        web_env = {"GATEHOUSE_WEB_DIR": str(s.web_dir), "PYTHONUNBUFFERED": "1"}
        self._spawn("web", web, env={**os.environ, **web_env})
        mail = [python, "-m", "devstack.mailcatcher", "--smtp-port", str(s.smtp_port)]
        mail += ["--http-port", str(s.mail_port), "--folder", str(s.data_dir / "mail")]
        self._spawn("mail", mail, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.redis = RedisServer(port=s.redis_port, data_dir=s.data_dir / "redis")
        self._start_server("redis", self.redis, signal.SIGTERM)
        self.postgres = Postgres(data_dir=self._pg_folder, port=s.postgres_port, durable=s.durable)
        self._initialise_postgres(self.postgres)
        self._start_server("postgres", self.postgres, signal.SIGINT)
        for name, server in (("redis", self.redis), ("postgres", self.postgres)):
            try:
                server.wait_ready()
            except (TimeoutError, RuntimeError) as error:
                raise StepFailed(f"{name} did not start: {error} (its log is above)") from error

    def _initialise_postgres(self, postgres: Postgres) -> None:
        """initdb, uninterrupted: a Ctrl-C in the middle would leave a half-made cluster
        that no later run could start. Signals wait until it is done (the mask is
        inherited by initdb too), and a half-made cluster from before is cleared."""
        pgdata = postgres.pgdata
        made = (pgdata / "PG_VERSION").exists() and (pgdata / "global" / "pg_control").exists()
        if pgdata.exists() and any(pgdata.iterdir()) and not made:
            self.say(f"clearing {pgdata}: an earlier initialisation did not finish")
            shutil.rmtree(pgdata)
        deferred = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
        try:
            postgres.init()
        except subprocess.CalledProcessError as error:
            detail = (error.stderr or b"").decode(errors="replace").strip()
            raise StepFailed(f"postgres could not be set up: {detail or error}") from error
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _start_server(
        self, name: str, server: Postgres | RedisServer, stop_signal: signal.Signals
    ) -> None:
        """Launch a server and record it (whole, as `_launch`); `wait_ready()` follows."""
        with interrupts.held():
            try:
                server.launch(output=subprocess.PIPE)
            finally:
                if server.process is not None and server.process.stdout is not None:
                    self.sink.pump(name, server.process.stdout)
                    self._own(server.process.pid, name, stop_signal)

    def _prepare_databases(self) -> None:
        if self.postgres is None:
            raise RuntimeError("PostgreSQL must be started first")
        for database in ("auth", "resource"):
            self.postgres.create_database(database)
        env = self.service_env()
        steps = [
            ManagedProcess(f"migrate-{name}", [self._script(script), "migrate"], env=env)
            for name, _, _, script in SERVICES
        ]
        for step in steps:
            self._launch(step)
        failed = []
        for step in steps:
            code = step.process.wait(300) if step.process is not None else -1
            step.stop()
            if code != 0:
                failed.append(f"{step.name} exited with status {code}")
        if failed:
            raise StepFailed("migrations failed: " + "; ".join(failed) + " (its log is above)")
        # The resource service follows the revocation feed as a service client of its own.
        folder = self.settings.data_dir
        self.extra_env.update(revocation_client.ensure(self._script("auth-service"), env, folder))

    def _script(self, name: str) -> str:
        try:
            return gateway.tool(name)
        except FileNotFoundError as error:
            raise StepFailed(f"{error} (is the {name} package installed?)") from error

    def replicas(self) -> dict[str, Replica]:
        """Every service process by name (`auth`, `auth-2`, …)."""
        return replicas_of(self.settings)

    def _start_services(self) -> None:
        checks = {}
        for name, replica in self.replicas().items():
            self._spawn(name, replica.command(), env=self.service_env())
            checks[name] = replica.ready_url
        checks["web"] = f"http://127.0.0.1:{self.settings.web_port}/"
        checks["mail"] = f"{self.settings.mail_url}/livez"
        self._wait_ready(checks)
        # Last: started earlier, its health checks would fail (and warn) until the
        # services answer. The stack's own settings reach it too (GATEHOUSE_API_RATE_*).
        env = {**os.environ, **self.extra_env}
        self._spawn("gateway", gateway.traefik_command(self.settings), env=env)
        self._wait_ready({"gateway": gateway.ping_url(self.settings)})

    def _wait_ready(self, checks: dict[str, str], timeout: float = 120.0) -> None:
        """Poll every check in turn (one thread: Ctrl-C interrupts at once) until each
        answers 200 (the web server: anything), failing fast if a process exits."""
        pending = dict(checks)
        deadline = time.monotonic() + timeout
        while pending:
            for name, url in list(pending.items()):
                child = self.children[name]
                if not child.running():
                    code = child.process.returncode if child.process is not None else None
                    raise StepFailed(
                        f"{name} exited with status {code} while starting (its log is above)"
                    )
                status = http_status(url, timeout=1.0)
                if status == 200 or (name == "web" and status is not None):
                    del pending[name]
            if pending and time.monotonic() > deadline:
                raise StepFailed(f"not ready within {timeout:.0f}s: {', '.join(pending)}")
            time.sleep(0.1)

    def gateway_sees(self, service: str) -> dict[str, str]:
        """Each replica of `service` as the gateway's load balancer sees it: URL → UP/DOWN."""
        return gateway_sees(self.settings, service)

    def _wait_gateway(self, *only: str) -> None:
        wait_gateway(self.settings, *only)

    # ----------------------------------------------------------------- run, stop

    def stop_replica(self, name: str) -> None:
        """Stop one service replica (`auth-2`); the gateway takes it out of the rotation."""
        self.children[name].stop()

    def start_replica(self, name: str) -> None:
        """Start a stopped replica again; return once the gateway has it in its rotation."""
        replica = self.replicas()[name]
        self._spawn(name, replica.command(), env=self.service_env())
        self._wait_ready({name: replica.ready_url})
        self._wait_gateway(replica.service)

    def _replaceable(self, name: str) -> bool:
        """A replica of a service that has others: its exit does not break the stack."""
        replica = self.replicas().get(name)
        return replica is not None and len(self.settings.replica_ports(replica.service)) > 1

    def revive_replicas(self) -> list[str]:
        """`make run` with replicas: start again any replica that exited on its own."""
        revived = []
        for name in self.replicas():
            child = self.children.get(name)
            if child is not None and not child.running() and self._replaceable(name):
                self.say(f"{name} exited on its own; starting it again")
                child.stop()
                self._spawn(name, self.replicas()[name].command(), env=self.service_env())
                revived.append(name)
        return revived

    def failed_child(self) -> str | None:
        """The name of a process that exited on its own, if any (the stack is then broken).
        A replica of a service that has others is not (see `revive_replicas`)."""
        for name, child in self.children.items():
            if not child.running() and not name.startswith("migrate-"):
                if self._replaceable(name):
                    continue
                return name
        for name, server in (("postgres", self.postgres), ("redis", self.redis)):
            if (
                server is not None
                and server.process is not None
                and server.process.poll() is not None
            ):
                return name
        return None

    def started_anything(self) -> bool:
        """True once any process was started (stopped since or not)."""
        return bool(self._groups)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Stop every process this stack started, outermost first; release the data folder.
        Whole (a Ctrl-C meanwhile changes nothing); a second call does nothing."""
        with interrupts.shielded():
            if self._stopped:
                return
            self._stopped = True
            self.ready_file.unlink(missing_ok=True)
            if self._groups:
                self.say("stopping…")
            self._stop_processes()
            if not self.leftovers():
                self.record.forget()
            self.lock.release()

    def _stop_processes(self) -> None:
        # The gateway first (no new requests), then the rest in reverse order of start;
        # one-shot steps (migrations) too, if still running.
        names = sorted(reversed(list(self.children)), key=lambda name: name != "gateway")
        for name in names:
            self.children[name].stop()
        for server in (self.redis, self.postgres):
            if server is not None:
                server.stop()
        for pgid in self._groups:  # a last sweep: nothing of ours may outlive the stack
            kill_group(pgid)

    def leftovers(self) -> list[int]:
        """Process groups of this stack that still have a live process (should be none)."""
        return [pgid for pgid in self._groups if group_alive(pgid)]

    def outcome(self) -> str:
        """What `stop()` left, in a line: the truth from `leftovers()`."""
        left = self.leftovers()
        if not left:
            return "stopped; nothing left running"
        return "stopped, but still running: " + ", ".join(describe(pgid) for pgid in left)


def default_stack(env: Mapping[str, str] | None = None, root: Path | None = None) -> Stack:
    return Stack(StackSettings.from_env(env, root=root))
