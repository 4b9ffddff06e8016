"""A bounded load run through the gateway on loopback, then a check that no write was lost.

    python tests-e2e/load/run_load.py [--users 100] [--duration 30] [--seed 1]

It starts a stack of its own with the launcher's code (devstack's throw-away-stack helper:
free ports, a temporary data folder, the gateway's per-address rate limit raised since
every client here shares one address), signs up `--users` clients and lets them work for
`--duration` seconds without pause: mostly refreshes, notes and /me, with some log-ins and
sign-ups (argon2, deliberately slow). Then it checks every client's notes through the API
and the whole notes table in PostgreSQL against what the clients were told: every
acknowledged note is there with its last acknowledged body, every acknowledged delete is
gone, nothing else is there. It prints the figures and stops everything it started.
Exit status 0 only with no 5xx, no other failed request, and no lost or phantom write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from devstack.postgres import pg_bin
from devstack.settings import StackSettings, find_root
from devstack.throwaway import UNLIMITED_GATEWAY_RATE, throwaway_stack

PASSWORD = "a perfectly fine load-test passphrase"  # noqa: S105 - throw-away accounts
CSRF = {"X-Requested-With": "load"}
ROOT = find_root(Path(__file__))
LOG = ROOT / "tests-e2e" / "artifacts" / "load.log"

# What a client does next, and how often (weights). Log-in and sign-up hash a password
# with argon2 (tens of milliseconds of CPU on purpose): a few percent, as in real traffic.
MIX: dict[str, int] = {
    "refresh": 14,
    "auth_me": 10,
    "resource_me": 14,
    "list_notes": 16,
    "create_note": 20,
    "patch_note": 10,
    "delete_note": 10,
    "log_in": 4,
    "sign_up": 2,
}


# ----------------------------------------------------------------------------- the clients


@dataclass
class Identity:
    """One account, with what the service acknowledged about its notes."""

    email: str
    access_token: str = ""
    live: dict[str, str] = field(default_factory=dict)  # note id -> last acknowledged body
    deleted: set[str] = field(default_factory=set)
    uncertain: set[str] = field(default_factory=set)  # a write whose answer never came


@dataclass
class Figures:
    started: float = field(default_factory=time.perf_counter)
    finished: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)  # transport errors, unexpected answers

    def record(self, action: str, response: httpx.Response, seconds: float) -> None:
        self.latencies[action].append(seconds)
        self.statuses[action][response.status_code] += 1


class Client:
    """One virtual user: its own connection and cookie jar, one request at a time."""

    def __init__(self, base_url: str, figures: Figures, rng: random.Random) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.figures = figures
        self.rng = rng
        self.identities: list[Identity] = []

    @property
    def me(self) -> Identity:
        return self.identities[-1]

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.me.access_token}"}

    async def call(
        self, action: str, method: str, url: str, expected: int, **kwargs: object
    ) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            self.figures.failures.append(f"{action}: {type(error).__name__}: {error}")
            return None
        self.figures.record(action, response, time.perf_counter() - began)
        if response.status_code != expected:
            self.figures.failures.append(f"{action}: {response.status_code} {response.text[:200]}")
            return None
        return response

    async def sign_up(self) -> None:
        self.http.cookies.clear()
        identity = Identity(email=f"load-{uuid.uuid4().hex[:16]}@gatehouse.example")
        self.identities.append(identity)
        body = {"email": identity.email, "password": PASSWORD}
        response = await self.call("sign_up", "POST", "/api/auth/signup", 201, json=body)
        if response is not None:
            identity.access_token = response.json()["access_token"]

    async def log_in(self) -> None:
        body = {"email": self.me.email, "password": PASSWORD}
        response = await self.call("log_in", "POST", "/api/auth/login", 200, json=body)
        if response is not None:
            self.me.access_token = response.json()["access_token"]

    async def refresh(self) -> None:
        response = await self.call("refresh", "POST", "/api/auth/refresh", 200, headers=CSRF)
        if response is not None:
            self.me.access_token = response.json()["access_token"]

    async def auth_me(self) -> None:
        await self.call("auth_me", "GET", "/api/auth/me", 200, headers=self.bearer())

    async def resource_me(self) -> None:
        await self.call("resource_me", "GET", "/api/resource/me", 200, headers=self.bearer())

    async def list_notes(self) -> None:
        await self.call("list_notes", "GET", "/api/resource/notes", 200, headers=self.bearer())

    async def create_note(self) -> None:
        body = uuid.uuid4().hex
        note = {"title": "load", "body": body}
        response = await self.call(
            "create_note", "POST", "/api/resource/notes", 201, json=note, headers=self.bearer()
        )
        if response is not None:
            self.me.live[response.json()["id"]] = body

    def _some_note(self) -> str | None:
        return self.rng.choice(sorted(self.me.live)) if self.me.live else None

    async def patch_note(self) -> None:
        note = self._some_note()
        if note is None:
            return await self.create_note()
        body = uuid.uuid4().hex
        url = f"/api/resource/notes/{note}"
        response = await self.call(
            "patch_note", "PATCH", url, 200, json={"body": body}, headers=self.bearer()
        )
        if response is not None:
            self.me.live[note] = body
        else:
            self.me.live.pop(note)
            self.me.uncertain.add(note)
        return None

    async def delete_note(self) -> None:
        note = self._some_note()
        if note is None:
            return await self.create_note()
        del self.me.live[note]
        response = await self.call(
            "delete_note", "DELETE", f"/api/resource/notes/{note}", 204, headers=self.bearer()
        )
        (self.me.deleted if response is not None else self.me.uncertain).add(note)
        return None

    async def work(self, until: float, mix: list[str], weights: list[int]) -> None:
        actions: dict[str, Callable[[], Awaitable[None]]] = {
            name: getattr(self, name) for name in MIX
        }
        while time.perf_counter() < until:
            if not self.identities or not self.me.access_token:
                await self.sign_up()  # the first one, or again after a failed one
            else:
                await actions[self.rng.choices(mix, weights)[0]]()


# ----------------------------------------------------------------------------- the check


async def notes_listed(client: Client, identity: Identity) -> dict[str, str]:
    found: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {identity.access_token}"}
    offset = 0
    while True:
        paging = {"limit": 100, "offset": offset}
        page = await client.http.get("/api/resource/notes", params=paging, headers=headers)
        page.raise_for_status()
        found.update({note["id"]: note["body"] for note in page.json()})
        if len(page.json()) < 100:
            return found
        offset += 100


def notes_in_database(settings: StackSettings) -> dict[str, str]:
    query = "SELECT coalesce(json_object_agg(id, body), '{}') FROM notes"
    psql = [str(pg_bin("psql")), "-h", "127.0.0.1", "-p", str(settings.postgres_port)]
    psql += ["-U", "postgres", "-d", "resource", "-tAc", query]
    # S603: PostgreSQL's own client, our arguments.
    result = subprocess.run(psql, check=True, capture_output=True, text=True)  # noqa: S603
    rows: dict[str, str] = json.loads(result.stdout)
    return rows


@dataclass
class Verdict:
    acknowledged: int = 0
    deleted: int = 0
    uncertain: int = 0
    problems: list[str] = field(default_factory=list)


async def check_writes(clients: list[Client], settings: StackSettings) -> Verdict:
    verdict = Verdict()
    expected: dict[str, str] = {}
    uncertain: set[str] = set()
    for client in clients:
        for identity in client.identities:
            if not identity.access_token:
                continue
            listed = await notes_listed(client, identity)
            known = dict(identity.live)
            for note in identity.uncertain:
                listed.pop(note, None)
            if listed != known:
                lost = sorted(set(known) - set(listed))
                back = sorted(set(listed) & identity.deleted)
                stale = sorted(n for n in set(known) & set(listed) if known[n] != listed[n])
                verdict.problems.append(
                    f"{identity.email}: lost {lost}, deleted but listed {back}, stale {stale}"
                )
            expected.update(known)
            uncertain |= identity.uncertain
            verdict.acknowledged += len(known)
            verdict.deleted += len(identity.deleted)
    stored = notes_in_database(settings)
    for note in uncertain:
        stored.pop(note, None)
    verdict.uncertain = len(uncertain)
    if stored != expected:
        verdict.problems.append(
            f"database: {len(set(expected) - set(stored))} acknowledged notes missing, "
            f"{len(set(stored) - set(expected))} notes nobody was told about, "
            f"{sum(stored[n] != b for n, b in expected.items() if n in stored)} stale bodies"
        )
    return verdict


# ----------------------------------------------------------------------------- the report


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def report(figures: Figures, verdict: Verdict, users: int) -> None:
    elapsed = figures.finished - figures.started
    everything = [s for values in figures.latencies.values() for s in values]
    total = len(everything)
    statuses: Counter[int] = sum(figures.statuses.values(), Counter())
    print(f"\nLoad run: {users} concurrent clients for {elapsed:.1f} s through the gateway")
    print(f"  requests {total}, {total / elapsed:.0f} per second")
    print(
        f"  latency ms: p50 {percentile(everything, 0.50):.1f}  "
        f"p95 {percentile(everything, 0.95):.1f}  p99 {percentile(everything, 0.99):.1f}  "
        f"max {max(everything) * 1000:.1f}"
    )
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    errors = {code: n for code, n in statuses.items() if code >= 400}
    print(
        f"  errors by status: {errors or 'none'}; transport errors and unexpected answers: "
        f"{len(figures.failures)}"
    )
    print(f"  {'action':<12} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for action in MIX:
        values = figures.latencies.get(action, [])
        if values:
            print(
                f"  {action:<12} {len(values):>7} {statistics.median(values) * 1000:>8.1f} "
                f"{percentile(values, 0.95):>8.1f} {percentile(values, 0.99):>8.1f}"
            )
    if verdict.problems:
        print("Writes: LOST OR PHANTOM WRITES")
    else:
        print(
            f"Writes: {verdict.acknowledged} acknowledged notes all present with their last "
            f"body, {verdict.deleted} acknowledged deletes all gone (API and database), "
            f"{verdict.uncertain} writes left unanswered"
        )
    for line in figures.failures[:20] + verdict.problems[:20]:
        print(f"  ! {line}")


async def run(settings: StackSettings, users: int, duration: float, seed: int) -> int:
    figures = Figures()
    mix, weights = list(MIX), list(MIX.values())
    clients = [
        Client(settings.public_url, figures, random.Random(seed * 1000 + n))  # noqa: S311 - a load mix, not a secret
        for n in range(users)
    ]
    try:
        until = time.perf_counter() + duration
        await asyncio.gather(*(client.work(until, mix, weights) for client in clients))
        figures.finished = time.perf_counter()
        verdict = await check_writes(clients, settings)
    finally:
        await asyncio.gather(*(client.http.aclose() for client in clients))
    report(figures, verdict, users)
    server_errors = sum(
        n for c in figures.statuses.values() for code, n in c.items() if code >= 500
    )
    failed = server_errors or figures.failures or verdict.problems
    print("FAILED" if failed else "OK: no 5xx, no failed request, no lost write")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent clients (100)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (30)")
    parser.add_argument("--seed", type=int, default=1, help="the clients' random choices")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 500 or not 1 <= args.duration <= 300:
        parser.error("keep it bounded: 1-500 clients, 1-300 seconds")
    began = time.perf_counter()
    # Every client comes from 127.0.0.1: the gateway's per-address limit would measure itself.
    with throwaway_stack("load", LOG, UNLIMITED_GATEWAY_RATE) as running:
        settings = running.settings
        print(
            f"stack up in {time.perf_counter() - began:.1f} s at {settings.public_url} "
            f"(log: {LOG.relative_to(ROOT)})",
            flush=True,
        )
        code = asyncio.run(run(settings, args.users, args.duration, args.seed))
    print(f"total {time.perf_counter() - began:.1f} s, stack stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
