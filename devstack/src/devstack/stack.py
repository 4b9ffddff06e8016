"""The whole Gatehouse stack on one machine: what `make run` starts and the e2e tests boot.

Order: PostgreSQL, Redis, the web server and the mail catcher start at once; then the
databases and both migrations; then both services; once each answers, Traefik (started
last, its first health checks pass: a quiet start-up log); the stack is ready when the
gateway routes to both services. Then `mark_ready()` writes `<data_dir>/ready`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from devstack import gateway, interrupts, revocation_client
from devstack.datadir import (
    DataDirLock,
    initialise_postgres,
    postgres_dir,
    stop_leftover_postgres,
)
from devstack.leftovers import ProcessRecord
from devstack.migrations import migration_steps, script, wait_for_migrations
from devstack.postgres import Postgres
from devstack.processes import (
    LogSink,
    ManagedProcess,
    StepFailed,
    group_alive,
    kill_group,
    stop_outcome,
    wait_ready,
)
from devstack.redis_server import RedisServer
from devstack.replicas import (
    Replica,
    gateway_sees,
    replaceable,
    replicas_of,
    wait_gateway,
)
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
        terminal = self.sink.stream.isatty()
        return service_env(self.settings, self.postgres, self.redis, self.extra_env, terminal)

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
            wait_gateway(self.settings)
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
        if busy := self.settings.busy_ports():
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
        initialise_postgres(self.postgres, self.say)
        self._start_server("postgres", self.postgres, signal.SIGINT)
        for name, server in (("redis", self.redis), ("postgres", self.postgres)):
            try:
                server.wait_ready()
            except (TimeoutError, RuntimeError) as error:
                raise StepFailed(f"{name} did not start: {error} (its log is above)") from error

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
        steps = migration_steps(env)
        for step in steps:
            self._launch(step)
        wait_for_migrations(steps)
        # The resource service follows the revocation feed as a service client of its own.
        feed_client = revocation_client.ensure(script("auth-service"), env, self.settings.data_dir)
        self.extra_env.update(feed_client)

    def replicas(self) -> dict[str, Replica]:
        """Every service process by name (`auth`, `auth-2`, …)."""
        return replicas_of(self.settings)

    def _start_services(self) -> None:
        """Traefik once every service is alive (its liveness checks pass at once: no warnings),
        then until each is ready (several auth replicas: keys come through the gateway)."""
        alive = {}
        for name, replica in self.replicas().items():
            self._spawn(name, replica.command(), env=self.service_env())
            alive[name] = replica.ready_url.removesuffix("/readyz") + "/healthz"
        alive["web"] = f"http://127.0.0.1:{self.settings.web_port}/"
        alive["mail"] = f"{self.settings.mail_url}/livez"
        wait_ready(self.children, alive)
        env = {**os.environ, **self.extra_env}  # GATEHOUSE_API_RATE_* reach Traefik too
        self._spawn("gateway", gateway.traefik_command(self.settings), env=env)
        ready = {name: replica.ready_url for name, replica in self.replicas().items()}
        wait_ready(self.children, {"gateway": gateway.ping_url(self.settings), **ready})

    def gateway_sees(self, service: str) -> dict[str, str]:
        """Each replica of `service` as the gateway's load balancer sees it: URL → UP/DOWN."""
        return gateway_sees(self.settings, service)

    # ----------------------------------------------------------------- run, stop

    def stop_replica(self, name: str) -> None:
        """Stop one service replica (`auth-2`); the gateway takes it out of the rotation."""
        self.children[name].stop()

    def start_replica(self, name: str) -> None:
        """Start a stopped replica again; return once the gateway has it in its rotation."""
        replica = self.replicas()[name]
        self._spawn(name, replica.command(), env=self.service_env())
        wait_ready(self.children, {name: replica.ready_url})
        wait_gateway(self.settings, replica.service)

    def revive_replicas(self) -> list[str]:
        """`make run` with replicas: start again any replica that exited on its own."""
        revived = []
        for name in self.replicas():
            child = self.children.get(name)
            if child is not None and not child.running() and replaceable(self.settings, name):
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
                if replaceable(self.settings, name):
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
        return stop_outcome(self.leftovers())


def default_stack(env: Mapping[str, str] | None = None, root: Path | None = None) -> Stack:
    return Stack(StackSettings.from_env(env, root=root))
