"""One benchmark run: the stack and the bench's own servers are started once, put in a
read-only `Context`, and every item (a function of it, `bench.items.*`) returns its rows."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from devstack.stack import Stack

from bench import micro
from bench.context import PASSWORD, USERS, Context, post_accounts, start_server
from bench.items import (
    alternatives,
    code_flows,
    logins,
    memory,
    revocation,
    rotation,
    through_gateway,
    verification,
)
from bench.procs import Server
from bench.report import Outcome, Row
from bench.stack import pid_of, running_stack

Item = Callable[[Context], Outcome]

# In the order they run; `--only NAME,...` picks some. Memory comes last: after every load.
ITEMS: dict[str, Item] = {
    "verification": verification.authenticated_get_vs_unauthenticated_twin,
    "revocation-feed": revocation.revocation_feed_on_vs_off,
    "revocation-lag": revocation.revocation_lag,
    "gateway": through_gateway.through_traefik_vs_direct,
    "rotations": rotation.refresh_rotations_vs_rsa_signing,
    "grants": rotation.client_credentials_grants_vs_rsa_signing,
    "code-flows": code_flows.code_flows_vs_rsa_signing,
    "logins": logins.log_ins_vs_argon2_verify_time,
    "fastapi-users": alternatives.fastapi_users_me_side_by_side,
    "memory": memory.resident_memory_after_the_load,
}

# Table order: each what-if row (an asterisk) right after the row it tries to improve.
ORDER = [
    "1a",
    "1a*",
    "1b",
    "1b*",
    "1c",
    "1d",
    "2",
    "2'",
    "3",
    "3*",
    "3b",
    "3b*",
    "3c",
    "3c'",
    "4",
    "4'",
    "4''",
    "4*",
]
ORDER += ["5", "5*", "6a", "6a*", "6b", "6c", "7"]


def say(text: str) -> None:
    print(f"bench: {text}", flush=True)


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    chart: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"rates": [], "login": [], "memory": []}
    )
    profiles: list[Any] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, outcome: Outcome, seconds: float) -> None:
        self.rows += outcome.rows
        self.details.update(outcome.details)
        for bar in outcome.bars:
            entry = {"label": bar.label, "value": round(bar.value, 1), "kind": bar.kind}
            self.chart[bar.panel].append(entry)
        self.profiles += outcome.profiles
        self.timings[name] = round(seconds)

    def sorted_rows(self) -> list[Row]:
        # A row of an item missing from ORDER goes last rather than losing the run's table.
        def place(row: Row) -> int:
            return ORDER.index(row.item) if row.item in ORDER else len(ORDER)

        return sorted(self.rows, key=place)


def run(args: argparse.Namespace, log_dir: Path, bench_python: Path) -> Results:
    only = [name for name in (args.only or "").split(",") if name] or list(ITEMS)
    unknown = set(only) - set(ITEMS)
    if unknown:
        raise SystemExit(f"unknown items {sorted(unknown)}; known: {', '.join(ITEMS)}")
    results = Results()
    say("in-process figures: RSA-2048 signing, argon2id, auth-client verification")
    signer, argon2 = micro.Signer(), micro.Argon2()
    results.details["verifier micro-benchmark (tokens/s, in-process)"] = micro.verifier_micro()
    say("booting the stack on free loopback ports (as `make run` does) ...")
    started = time.monotonic()
    with running_stack(log_dir) as stack, _bench_servers(stack, log_dir, args) as servers:
        say(f"stack and bench servers ready in {time.monotonic() - started:.0f}s")
        ctx = _context(args, log_dir, bench_python, stack, servers, signer, argon2)
        for name in only:
            began = time.monotonic()
            results.add(name, ITEMS[name](ctx), time.monotonic() - began)
    return results


@contextlib.contextmanager
def _bench_servers(
    stack: Stack, log_dir: Path, args: argparse.Namespace
) -> Iterator[dict[str, Server]]:
    env = stack.service_env()
    servers: dict[str, Server] = {}
    try:
        servers["auth-bench"] = start_server(
            "auth-bench", "bench.apps.auth_bench:create_app", env, "/api/auth/readyz", log_dir
        )
        introspect = f"http://127.0.0.1:{servers['auth-bench'].port}/api/auth/bench/introspect"
        servers["resource-bench"] = start_server(
            "resource-bench",
            "bench.apps.resource_bench:create_app",
            {**env, "BENCH_INTROSPECTION_URL": introspect},
            "/api/resource/readyz",
            log_dir,
        )
        if not args.skip_fastapi_users:
            servers["fastapi-users"] = _fastapi_users(stack, log_dir)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _fastapi_users(stack: Stack, log_dir: Path) -> Server:
    from bench import benchenv

    assert stack.postgres is not None
    stack.postgres.create_database("fastapi_users")
    fu_env = {
        **os.environ,
        "BENCH_FU_DATABASE_URL": stack.postgres.url("fastapi_users"),
        "PYTHONUNBUFFERED": "1",
    }
    server = start_server(
        "fastapi-users",
        "bench.apps.fastapi_users_app:create_app",
        fu_env,
        "/healthz",
        log_dir,
        python=str(benchenv.PYTHON),
    )
    post_accounts(f"http://127.0.0.1:{server.port}", "/auth/register", USERS)
    return server


def _service_client(stack: Stack) -> tuple[str, str]:
    """A service client registered as an operator does it (`auth-service clients create`)."""
    command = [sys.executable, "-m", "auth_service", "clients", "create", "--name", "bench"]
    command += ["--scope", "notes:read"]
    made = subprocess.run(
        command, env=stack.service_env(), check=True, capture_output=True, text=True, timeout=120
    )
    created = json.loads(made.stdout)
    return str(created["client_id"]), str(created["client_secret"])


def _revocation_client(stack: Stack) -> tuple[str, str] | None:
    """What the stack provisioned for the resource service to follow the revocation feed."""
    env = stack.service_env()
    client_id = env.get("RESOURCE_REVOCATION_CLIENT_ID")
    secret = env.get("RESOURCE_REVOCATION_CLIENT_SECRET")
    return (client_id, secret) if client_id and secret else None


def _context(
    args: argparse.Namespace,
    log_dir: Path,
    bench_python: Path,
    stack: Stack,
    servers: dict[str, Server],
    signer: micro.Signer,
    argon2: micro.Argon2,
) -> Context:
    s = stack.settings
    auth = f"http://127.0.0.1:{s.auth_port}"
    answers = post_accounts(auth, "/api/auth/signup", USERS)
    users_file = log_dir / "users.tsv"
    users_file.write_text(
        "".join(f"bench-{n}@example.com\t{PASSWORD.format(n=n)}\n" for n in range(USERS))
    )
    pids = {name: pid_of(stack, name) for name in ("auth", "resource", "gateway")}
    pids.update({name: server.pid for name, server in servers.items()})
    return Context(
        seconds=args.seconds,
        log_dir=log_dir,
        profile=not args.no_profile,
        stack=stack,
        auth=auth,
        resource=f"http://127.0.0.1:{s.resource_port}",
        gateway=f"http://127.0.0.1:{s.gateway_port}",
        pids=MappingProxyType(pids),
        auth_bench=servers["auth-bench"],
        resource_bench=servers["resource-bench"],
        fastapi_users=servers.get("fastapi-users"),
        access_token=answers[0].json()["access_token"],
        users_file=users_file,
        client=_service_client(stack),
        revocation_client=_revocation_client(stack),
        signer=signer,
        argon2=argon2,
        cores=os.cpu_count() or 1,
        bench_python=bench_python,
    )
