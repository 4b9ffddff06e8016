"""One benchmark run: the stack and the bench's own servers, and the figures as they come.

The items of the benchmark issue are in `bench.items`; profiles and what-ifs for the targets
that were missed in `bench.explain`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from devstack.ports import free_port
from devstack.stack import Stack

from bench import items, micro, profile
from bench.measure import Measured
from bench.procs import Server, rss_mib, uvicorn_command
from bench.report import Row
from bench.stack import ROOT, pid_of, running_stack

USERS = 16  # accounts made for the run; 16 log-ins run at once
PASSWORD = "bench passphrase, long enough {n}"  # noqa: S105 - a throw-away stack's accounts

# Table order: each what-if row (an asterisk) right after the row it tries to improve.
ORDER = ["1a", "1a*", "1b", "2", "2'", "3", "3*", "4", "4'", "4'*", "5", "5*", "6", "7"]


def say(text: str) -> None:
    print(f"bench: {text}", flush=True)


class Run:
    def __init__(self, args: argparse.Namespace, log_dir: Path, bench_python: Path) -> None:
        self.args = args
        self.seconds: float = args.seconds
        self.log_dir = log_dir
        self.bench_python = bench_python
        self.rows: list[Row] = []
        self.details: dict[str, Any] = {}
        self.chart: dict[str, list[dict[str, Any]]] = {"rates": [], "login": [], "memory": []}
        self.profiles: list[profile.Profile] = []
        self.pids: dict[str, int] = {}
        self.measured: dict[str, dict[str, Measured]] = {}  # by item, for the explanations
        self.fastapi_users: Server | None = None

    # ------------------------------------------------------------------ figures

    def sorted_rows(self) -> list[Row]:
        return sorted(self.rows, key=lambda row: ORDER.index(row.item))

    def detail(self, name: str, m: Measured) -> None:
        r = m.result
        entry: dict[str, Any] = {
            "requests_per_second": round(m.rate, 1),
            "requests": r.requests,
            "failed": r.failed,
            "seconds": round(r.seconds, 2),
            "p50_ms": r.p50_ms,
            "p99_ms": r.p99_ms,
            "server_cpu_us_per_request": round(m.cpu_us_per_request, 1),
            "rounds_rps": [round(x.rate, 1) for x in m.rounds],
            "connections": m.load.connections,
        }
        if len(m.cpu_by_pid) > 1:
            names = {pid: name for name, pid in self.pids.items()}
            entry["cpu_us_per_request_by_process"] = {
                names.get(pid, str(pid)): round(m.cpu_us_per_request_of(pid), 1)
                for pid in m.cpu_by_pid
            }
        if r.extra:
            entry["extra"] = dict(r.extra)
        if m.cache is not None:
            entry["token_cache_hits"], entry["token_cache_misses"] = m.cache
        self.details[name] = entry
        if r.failed:
            say(f"  warning: {name}: {r.failed} of {r.requests} requests failed")

    def bar(self, panel: str, label: str, value: float, kind: str = "ours") -> None:
        self.chart[panel].append({"label": label, "value": round(value, 1), "kind": kind})

    # ------------------------------------------------------------------ set-up

    def accounts(
        self, base: str, path: str, count: int, form: bool = False
    ) -> list[httpx.Response]:
        """POST every bench account's e-mail and password to `path`, all at once."""

        async def post_all() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=base, timeout=120) as http:
                posts = []
                for n in range(count):
                    email, password = f"bench-{n}@example.com", PASSWORD.format(n=n)
                    if form:
                        data = {"username": email, "password": password}
                        posts.append(http.post(path, data=data))
                    else:
                        posts.append(http.post(path, json={"email": email, "password": password}))
                return await asyncio.gather(*posts)

        answers = asyncio.run(post_all())
        for answer in answers:
            answer.raise_for_status()
        return answers

    def seed(self) -> None:
        """Accounts (sign-up), one user's access token, the accounts' file for wrk."""
        answers = self.accounts(self.auth, "/api/auth/signup", USERS)
        self.access_token = answers[0].json()["access_token"]
        self.users_file = self.log_dir / "users.tsv"
        self.users_file.write_text(
            "".join(f"bench-{n}@example.com\t{PASSWORD.format(n=n)}\n" for n in range(USERS))
        )

    def fresh_refresh_tokens(self, count: int) -> Path:
        """`count` new sessions (log-ins), their refresh tokens in a file for wrk."""
        answers = self.accounts(self.auth, "/api/auth/login", count)
        path = self.log_dir / "refresh-tokens.txt"
        path.write_text("".join(a.cookies["refresh_token"] + "\n" for a in answers))
        return path

    def server(
        self, name: str, factory: str, env: dict[str, str], ready: str, python: str = sys.executable
    ) -> Server:
        """One of the bench's own uvicorn servers (stopped with the run)."""
        port = free_port()
        command = uvicorn_command(python, factory, port)
        server = Server(name, command, port=port, env=env, log_dir=self.log_dir, cwd=ROOT)
        self.servers.enter_context(_stopping(server))
        server.wait_ready(ready)
        self.pids[name] = server.pid
        return server

    def start_servers(self, stack: Stack) -> None:
        env = stack.service_env()
        self.auth_bench = self.server(
            "auth-bench", "bench.apps.auth_bench:create_app", env, "/api/auth/readyz"
        )
        introspect = f"http://127.0.0.1:{self.auth_bench.port}/api/auth/bench/introspect"
        self.resource_bench = self.server(
            "resource-bench",
            "bench.apps.resource_bench:create_app",
            {**env, "BENCH_INTROSPECTION_URL": introspect},
            "/api/resource/readyz",
        )
        self.cores = os.cpu_count() or 1
        # The same wrapper hashing every log-in at once, as before the hashing limit (c5162c9)
        self.auth_unbounded = self.server(
            "auth-unbounded",
            "bench.apps.auth_bench:create_app",
            {**env, "AUTH_PASSWORD_HASH_CONCURRENCY": "16"},
            "/api/auth/readyz",
        )
        if not self.args.skip_fastapi_users:
            assert stack.postgres is not None
            stack.postgres.create_database("fastapi_users")
            fu_env = {
                **os.environ,
                "BENCH_FU_DATABASE_URL": stack.postgres.url("fastapi_users"),
                "PYTHONUNBUFFERED": "1",
            }
            self.fastapi_users = self.server(
                "fastapi-users",
                "bench.apps.fastapi_users_app:create_app",
                fu_env,
                "/healthz",
                python=str(self.bench_python),
            )
            base = f"http://127.0.0.1:{self.fastapi_users.port}"
            self.accounts(base, "/auth/register", USERS)

    # ------------------------------------------------------------------ the run

    def go(self) -> None:
        from bench import explain

        say("in-process figures: RSA-2048 signing, argon2id, auth-client verification")
        self.signer = micro.Signer()
        self.argon2 = micro.Argon2()
        self.details["verifier micro-benchmark (tokens/s, in-process)"] = micro.verifier_micro()
        say("booting the stack on free loopback ports (as `make run` does) ...")
        started = time.monotonic()
        with running_stack(self.log_dir) as stack, contextlib.ExitStack() as self.servers:
            say(f"stack ready in {time.monotonic() - started:.0f}s; starting the bench's servers")
            self.stack = stack
            s = stack.settings
            self.auth = f"http://127.0.0.1:{s.auth_port}"
            self.resource = f"http://127.0.0.1:{s.resource_port}"
            self.gateway = f"http://127.0.0.1:{s.gateway_port}"
            for name in ("auth", "resource", "gateway"):
                self.pids[name] = pid_of(stack, name)
            self.seed()
            self.start_servers(stack)
            items.resource_and_introspection(self)
            items.through_gateway(self)
            items.refresh_rotations(self)
            items.log_ins(self)
            if self.fastapi_users is not None:
                items.fastapi_users_me(self)
            self.memory()
            if not self.args.no_profile:
                explain.explain_misses(self)

    def memory(self) -> None:
        say("6: resident memory of each service after the load")
        labels = {
            "auth": ("auth service", "ours"),
            "resource": ("resource service", "ours"),
            "gateway": ("Traefik gateway", "baseline"),
            "auth-bench": ("auth (bench wrapper), hashing as shipped", "ours"),
            "auth-unbounded": ("auth (bench wrapper), 16 hashes at once", "whatif"),
            "fastapi-users": ("fastapi-users app", "alternative"),
        }
        figures = []
        for name, (label, kind) in labels.items():
            if name in self.pids:
                mib = rss_mib(self.pids[name])
                figures.append(f"{label} {mib:.0f}")
                self.details[f"RSS MiB: {label}"] = round(mib, 1)
                self.bar("memory", label, mib, kind)
        self.rows.append(Row("6", "RSS after the load (MiB)", ", ".join(figures[:3]), None, ""))


@contextlib.contextmanager
def _stopping(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()
