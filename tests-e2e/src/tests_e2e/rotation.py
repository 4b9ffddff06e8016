"""Signing keys rotated through the auth service's command line while users' traffic flows
through the gateway: the command an operator runs, and the traffic the rotation tests
watch (test_replicas.py on 2+2 replicas, test_stack_fault_drills.py on one of each)."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from tests_e2e.stacks import RunningStack

PASSWORD = "a perfectly fine e2e passphrase"  # noqa: S105 - throw-away test users
CSRF = {"X-Requested-With": "fetch"}
# What each user reads with every access token it gets: both services, and a database read.
READS = ("/api/resource/me", "/api/auth/me", "/api/resource/notes")


def kid_of(token: str) -> str:
    """The `kid` in a JWT's header (no verification: which key signed it)."""
    header = token.split(".", 1)[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def rotate_keys(running: RunningStack, activate_in: float) -> None:
    """`auth-service keys rotate --activate-in N`, as an operator runs it, on the stack's
    database."""
    rotated = subprocess.run(  # noqa: S603 - our own CLI, with our own arguments
        [sys.executable, "-m", "auth_service", "keys", "rotate", "--activate-in", str(activate_in)],
        env=running.stack.service_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rotated.returncode == 0, rotated.stderr


@dataclass
class Traffic:
    """What the users saw: every answer's status, and the `kid` of every access token."""

    statuses: Counter[int] = field(default_factory=Counter)
    kids: set[str] = field(default_factory=set)


@asynccontextmanager
async def user_traffic(
    running: RunningStack, users: int, reads: Sequence[str] = READS
) -> AsyncIterator[Traffic]:
    """`users` users, each signed up, refreshing and reading `reads` with each new access
    token, in a loop, through the gateway until the block ends."""
    traffic = Traffic()
    stop = asyncio.Event()

    async def user(http: httpx.AsyncClient) -> None:
        email = f"rotation-{uuid.uuid4().hex[:10]}@gatehouse.example"
        signup = await http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        while not stop.is_set():
            refreshed = await http.post("/api/auth/refresh", headers=CSRF)
            traffic.statuses[refreshed.status_code] += 1
            if refreshed.status_code != 200:
                continue
            token = refreshed.json()["access_token"]
            traffic.kids.add(kid_of(token))
            for path in reads:
                answer = await http.get(path, headers={"Authorization": f"Bearer {token}"})
                traffic.statuses[answer.status_code] += 1

    clients = [httpx.AsyncClient(base_url=running.base_url, timeout=30) for _ in range(users)]
    workers = [asyncio.create_task(user(client)) for client in clients]
    try:
        yield traffic
        stop.set()
        await asyncio.gather(*workers)
    finally:
        stop.set()
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for client in clients:
            await client.aclose()
