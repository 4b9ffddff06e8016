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

import httpx

from devstack import gateway
from devstack.datadir import DataDirLock, postgres_dir, stop_leftover_postgres
from devstack.ports import http_status, port_in_use
from devstack.postgres import Postgres
from devstack.processes import LogSink, ManagedProcess, StepFailed, group_alive, signal_group
from devstack.redis_server import RedisServer
from devstack.settings import StackSettings

# (name, Python package, URL prefix, console script)
SERVICES = (
    ("auth", "auth_service", "/api/auth", "auth-service"),
    ("resource", "resource_service", "/api/resource", "resource-service"),
)


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
        """The launcher's environment, plus what wires the services together. A setting the
        user gave wins over our local defaults; the wiring (database, Redis, JWKS) is ours."""
        if self.postgres is None or self.redis is None:
            raise RuntimeError("PostgreSQL and Redis must be started first")
        s = self.settings
        env = {**os.environ, **self.extra_env}
        env.setdefault("AUTH_ISSUER", f"{s.public_url}/api/auth")
        env.setdefault("RESOURCE_ISSUER", env["AUTH_ISSUER"])
        env.setdefault("AUTH_ALLOWED_ORIGINS", s.public_url)
        # Links in mails (password reset, verification) open the web app at this origin.
        env.setdefault("AUTH_PUBLIC_URL", s.public_url)
        env.setdefault("AUTH_COOKIE_SECURE", "false")  # plain HTTP on localhost
        # Local use: the auth service accepts its built-in key-encryption key (compose and
        # real deployments never set this, so they must bring a 32-byte random one).
        env.setdefault("AUTH_DEV_MODE", "true")
        env.update(
            AUTH_DATABASE_URL=self.postgres.url("auth"),
            AUTH_REDIS_URL=self.redis.url(0),
            RESOURCE_DATABASE_URL=self.postgres.url("resource"),
            # Mail goes to the stack's own catcher, never out (read it at mail_url).
            AUTH_SMTP_URL=f"smtp://127.0.0.1:{s.smtp_port}",
            RESOURCE_JWKS_URL=self._jwks_url(),
            PYTHONUNBUFFERED="1",
        )
        return env

    def _jwks_url(self) -> str:
        s = self.settings
        path = "/api/auth/.well-known/jwks.json"
        if len(s.replica_ports("auth")) == 1:
            # Straight to the auth service, so key fetches never depend on the gateway.
            return f"http://127.0.0.1:{s.auth_port}{path}"
        # Through the gateway: whichever auth replica is up answers.
        return f"http://127.0.0.1:{s.gateway_port}{path}"

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

    def _script(self, name: str) -> str:
        try:
            return gateway.tool(name)
        except FileNotFoundError as error:
            raise StepFailed(f"{error} (is the {name} package installed?)") from error

    def replicas(self) -> dict[str, tuple[str, str, int]]:
        """Every service process: its name (`auth`, `auth-2`, …) → (service, package, port)."""
        found = {}
        for service, package, _, _ in SERVICES:
            for n, port in enumerate(self.settings.replica_ports(service), start=1):
                found[service if n == 1 else f"{service}-{n}"] = (service, package, port)
        return found

    def _spawn_replica(self, name: str) -> None:
        _, package, port = self.replicas()[name]
        app = f"{package}.app:create_app"
        args = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1"]
        args += ["--port", str(port), "--timeout-graceful-shutdown", "3"]
        # Longer than Traefik keeps idle backend connections (90 s): the service never
        # closes one just as the gateway sends a POST on it (a 502).
        args += ["--timeout-keep-alive", "100"]
        self._spawn(name, args, env=self.service_env())

    def _start_services(self) -> None:
        checks = {}
        prefixes = {service: prefix for service, _, prefix, _ in SERVICES}
        for name, (service, _, port) in self.replicas().items():
            self._spawn_replica(name)
            checks[name] = f"http://127.0.0.1:{port}{prefixes[service]}/readyz"
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
        """Each replica of `service` as the gateway's load balancer sees it: URL → UP/DOWN
        (Traefik's API on its loopback-only ping entrypoint); empty until it answers."""
        url = f"http://127.0.0.1:{self.settings.ping_port}/api/http/services/{service}@file"
        try:
            response = httpx.get(url, timeout=2.0)
        except httpx.HTTPError:
            return {}
        if response.status_code != 200:
            return {}
        status: dict[str, str] = response.json().get("serverStatus", {})
        return status

    def _wait_gateway(self, *only: str, timeout: float = 30.0) -> None:
        """Traefik loads its routes just after it starts answering pings, and takes a
        replica into its rotation at the first health check it passes: wait for both."""
        deadline = time.monotonic() + timeout
        for service, _, prefix, _ in SERVICES:
            if only and service not in only:
                continue
            wanted = len(self.settings.replica_ports(service))
            while list(self.gateway_sees(service).values()).count("UP") < wanted:
                if time.monotonic() > deadline:
                    raise StepFailed(f"the gateway does not route {prefix} (after {timeout:.0f}s)")
                time.sleep(0.1)

    # ----------------------------------------------------------------- run, stop

    def stop_replica(self, name: str) -> None:
        """Stop one service replica (`auth-2`); the gateway takes it out of the rotation."""
        self.children[name].stop()

    def start_replica(self, name: str) -> None:
        """Start a stopped replica again; return once the gateway has it in its rotation."""
        service, _, port = self.replicas()[name]
        prefix = next(prefix for s, _, prefix, _ in SERVICES if s == service)
        self._spawn_replica(name)
        self._wait_ready({name: f"http://127.0.0.1:{port}{prefix}/readyz"})
        self._wait_gateway(service)

    def _replaceable(self, name: str) -> bool:
        """A replica of a service that has others: its exit does not break the stack."""
        service = self.replicas().get(name, (None, None, None))[0]
        return service is not None and len(self.settings.replica_ports(service)) > 1

    def revive_replicas(self) -> list[str]:
        """`make run` with replicas: start again any replica that exited on its own."""
        revived = []
        for name in self.replicas():
            child = self.children.get(name)
            if child is not None and not child.running() and self._replaceable(name):
                self.say(f"{name} exited on its own; starting it again")
                child.stop()
                self._spawn_replica(name)
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
            _kill_group(pgid)
        self.lock.release()

    def leftovers(self) -> list[int]:
        """Process groups of this stack that still have a live process (should be none)."""
        return [pgid for pgid in self._groups if group_alive(pgid)]


def _kill_group(pgid: int, timeout: float = 5.0) -> None:
    if not group_alive(pgid):
        return
    signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def default_stack(env: Mapping[str, str] | None = None, root: Path | None = None) -> Stack:
    return Stack(StackSettings.from_env(env, root=root))
