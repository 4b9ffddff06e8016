"""The whole Gatehouse stack on one machine: what `make run` starts and the e2e tests boot.

Order: PostgreSQL, Redis, the web server, the mail catcher and Traefik start at once;
then the databases and both migrations; then both services; each is waited for until
ready, and the stack is ready when the gateway routes to both services.
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

from devstack import gateway, revocation_client
from devstack.datadir import DataDirLock, postgres_dir, stop_leftover_postgres
from devstack.ports import http_status, port_in_use
from devstack.postgres import Postgres
from devstack.processes import LogSink, ManagedProcess, StepFailed, group_alive, kill_group
from devstack.redis_server import RedisServer
from devstack.replicas import SERVICES, Replica, gateway_sees, replicas_of, wait_gateway
from devstack.settings import StackSettings
from devstack.wiring import service_env


def _parent_death_guard() -> list[str]:
    """Children get SIGTERM if the launcher itself is killed outright (SIGKILL)."""
    return ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []


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
        self.postgres: Postgres | None = None
        self.redis: RedisServer | None = None
        self.children: dict[str, ManagedProcess] = {}
        self._groups: list[int] = []
        self._stopped = False

    # ----------------------------------------------------------------- facts

    @property
    def base_url(self) -> str:
        return self.settings.public_url

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
        self.lock.acquire(self.base_url)
        try:
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

    def _check_ports(self) -> None:
        busy = [
            f"{port} ({what}; set {variable} to change it)"
            for what, port, variable in self.settings.ports()
            if port_in_use(port)
        ]
        if busy:
            raise StepFailed("port already in use by another program: " + ", ".join(busy))

    def _spawn(self, name: str, args: list[str], env: Mapping[str, str] | None = None) -> None:
        child = ManagedProcess(
            name, [*_parent_death_guard(), *args], env=env, cwd=str(self.settings.root)
        )
        self.children[name] = child.start(self.sink)
        if child.pid is not None:
            self._groups.append(child.pid)

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
        # The stack's own settings reach Traefik too (GATEHOUSE_API_RATE_* in its templates).
        self._spawn("gateway", gateway.traefik_command(s), env={**os.environ, **self.extra_env})
        self.redis = RedisServer(port=s.redis_port, data_dir=s.data_dir / "redis")
        self._start_server("redis", self.redis)
        pg_folder = postgres_dir(s.data_dir, self.say)
        stop_leftover_postgres(pg_folder / "pgdata", self.say)
        self.postgres = Postgres(data_dir=pg_folder, port=s.postgres_port, durable=s.durable)
        self._initialise_postgres(self.postgres)
        self._start_server("postgres", self.postgres)

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

    def _start_server(self, name: str, server: Postgres | RedisServer) -> None:
        try:
            server.start(output=subprocess.PIPE)
        except (TimeoutError, RuntimeError) as error:
            raise StepFailed(f"{name} did not start: {error} (its log is above)") from error
        finally:
            if server.process is not None and server.process.stdout is not None:
                self.sink.pump(name, server.process.stdout)
                self._groups.append(server.process.pid)

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
            self.children[step.name] = step.start(self.sink)
            if step.pid is not None:
                self._groups.append(step.pid)
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
        checks["gateway"] = gateway.ping_url(self.settings)
        self._wait_ready(checks)

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
        return bool(self._groups) and not self._stopped

    def stop(self) -> None:
        """Stop every process this stack started, outermost first; release the data folder."""
        self._stopped = True
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
        self.lock.release()

    def leftovers(self) -> list[int]:
        """Process groups of this stack that still have a live process (should be none)."""
        return [pgid for pgid in self._groups if group_alive(pgid)]


def default_stack(env: Mapping[str, str] | None = None, root: Path | None = None) -> Stack:
    return Stack(StackSettings.from_env(env, root=root))
