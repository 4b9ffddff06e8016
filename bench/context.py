"""What every item of the benchmark reads, and nothing it may change: the stack's addresses
and processes, the bench's own servers, the accounts, the in-process references (RSA and
argon2), how long each load runs. Built once by `bench.run`; items are functions of it."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from devstack.ports import free_port
from devstack.stack import Stack

from bench import micro
from bench.procs import Server, uvicorn_command
from bench.stack import ROOT

USERS = 16  # accounts made for the run; 16 (and 64) log-ins run at once
PASSWORD = "bench passphrase, long enough {n}"  # noqa: S105 - a throw-away stack's accounts


@dataclass(frozen=True)
class Context:
    seconds: float  # of each measured load, split into interleaved rounds
    log_dir: Path
    profile: bool  # profile and run the what-ifs of the targets that are missed
    stack: Stack
    auth: str  # base URLs of the stack's services, as `make run` starts them
    resource: str
    gateway: str
    pids: Mapping[str, int]  # every server process by name (the stack's and the bench's)
    auth_bench: Server  # the auth service's own app plus a bench-only introspection route
    resource_bench: Server  # the resource service's own app plus its bench-only twins
    fastapi_users: Server | None
    access_token: str  # one user's, signed by the stack's key
    users_file: Path  # "email<TAB>password" lines of the USERS accounts
    client: tuple[str, str]  # (client id, secret) of a service client with a scope
    # (client id, secret) the stack gave the resource service for the revocation feed
    revocation_client: tuple[str, str] | None
    signer: micro.Signer
    argon2: micro.Argon2
    cores: int
    bench_python: Path

    def url(self, server: Server) -> str:
        return f"http://127.0.0.1:{server.port}"

    def fresh_refresh_tokens(self, count: int, base: str | None = None) -> Path:
        """`count` new sessions (log-ins), their refresh tokens in a new file for wrk."""
        answers = post_accounts(base or self.auth, "/api/auth/login", count)
        handle = self.log_dir / f"refresh-tokens-{free_port()}.txt"  # a fresh name each time
        handle.write_text("".join(a.cookies["refresh_token"] + "\n" for a in answers))
        return handle

    @contextlib.contextmanager
    def server(
        self, name: str, factory: str, env: Mapping[str, str], ready: str
    ) -> Iterator[Server]:
        """A bench-only uvicorn server for the length of a `with` block (a what-if's)."""
        server = start_server(name, factory, env, ready, self.log_dir)
        try:
            yield server
        finally:
            server.stop()


def start_server(
    name: str,
    factory: str,
    env: Mapping[str, str],
    ready: str,
    log_dir: Path,
    python: str = sys.executable,
) -> Server:
    port = free_port()
    command = uvicorn_command(python, factory, port)
    server = Server(name, command, port=port, env=dict(env), log_dir=log_dir, cwd=ROOT)
    try:
        server.wait_ready(ready)
    except BaseException:
        server.stop()
        raise
    return server


def post_accounts(base: str, path: str, count: int, form: bool = False) -> list[httpx.Response]:
    """POST every bench account's e-mail and password to `path`, all at once."""

    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            posts = []
            for n in range(count):
                email, password = f"bench-{n % USERS}@example.com", PASSWORD.format(n=n % USERS)
                if form:
                    posts.append(http.post(path, data={"username": email, "password": password}))
                else:
                    posts.append(http.post(path, json={"email": email, "password": password}))
            return await asyncio.gather(*posts)

    answers = asyncio.run(post_all())
    for answer in answers:
        answer.raise_for_status()
    return answers
