"""Authorization-code flows driven from Python, as an application and the bounce page run
them: GET /oauth/authorize, the decision (consent already remembered), the code's exchange
at /oauth/token (PKCE S256, a public client). Item 3c runs them against the stack over
loopback; run as a module, they run in-process for a profile:

    python -m bench.codeflows [--n 300] [--profile]

As `bench.hotpaths`: its own throw-away PostgreSQL and Redis, the real app over an ASGI
transport, one flow after the other; prints flows/s and the event loop's CPU per flow, and
with `--profile` cProfile's top functions. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import hashlib
import pstats
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

REDIRECT = "http://127.0.0.1:9/callback"
SCOPE = "openid email"
AUTHORIZE, TOKEN = "/api/auth/oauth/authorize", "/api/auth/oauth/token"


class FlowFailed(Exception):
    pass


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


async def authorize(
    http: httpx.AsyncClient, client_id: str, bearer: dict[str, str]
) -> tuple[str, str]:
    """(code, verifier): the application's redirect, then the bounce page's decision."""
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    started = await http.get(AUTHORIZE, params=params)
    if started.status_code != 303:
        raise FlowFailed(f"authorize: {started.status_code}")
    request_id = _query(started.headers["location"])["request"][0]
    decided = await http.post(f"{AUTHORIZE}/{request_id}", json={}, headers=bearer)
    answer = decided.json() if decided.status_code == 200 else {}
    if answer.get("action") == "consent":  # the first flow of a person: allow, remembered
        allowed = await http.post(
            f"{AUTHORIZE}/{request_id}/consent", json={"allow": True}, headers=bearer
        )
        answer = allowed.json() if allowed.status_code == 200 else {}
    if answer.get("action") != "redirect":
        raise FlowFailed(f"decision: {decided.status_code} {answer}")
    return _query(answer["url"])["code"][0], verifier


async def exchange(http: httpx.AsyncClient, client_id: str, code: str, verifier: str) -> None:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    answer = await http.post(TOKEN, data=data)
    if answer.status_code != 200 or "id_token" not in answer.json():
        raise FlowFailed(f"token: {answer.status_code} {answer.text[:200]}")


@dataclass
class Run:
    """What one timed phase did: flows (or exchanges) done, failed, their latencies, the
    wall time and the server's CPU seconds (`cpu`: a function of the pids, read around it)."""

    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.done / self.cpu if self.cpu else float("nan")

    def percentile_ms(self, q: float) -> float:
        ms = sorted(x * 1000 for x in self.latencies)
        return ms[min(len(ms) - 1, int(len(ms) * q))] if ms else float("nan")

    @staticmethod
    def combine(runs: Sequence[Run]) -> Run:
        return Run(
            sum(r.done for r in runs),
            sum(r.failed for r in runs),
            sum(r.seconds for r in runs),
            sum(r.cpu for r in runs),
            [x for r in runs for x in r.latencies],
        )


async def flows(
    http: httpx.AsyncClient,
    client_id: str,
    bearers: Sequence[dict[str, str]],
    seconds: float,
    server_cpu: Callable[[], float],
) -> Run:
    """Whole flows for `seconds`, one worker per person, all at once."""
    run, deadline = Run(), time.monotonic() + seconds

    async def worker(bearer: dict[str, str]) -> None:
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                await exchange(http, client_id, *await authorize(http, client_id, bearer))
            except (FlowFailed, httpx.HTTPError, KeyError):
                run.failed += 1
                continue
            run.latencies.append(time.perf_counter() - began)
            run.done += 1

    cpu, wall = server_cpu(), time.perf_counter()
    await asyncio.gather(*(worker(b) for b in bearers))
    run.seconds, run.cpu = time.perf_counter() - wall, server_cpu() - cpu
    return run


async def exchanges(
    http: httpx.AsyncClient,
    client_id: str,
    bearers: Sequence[dict[str, str]],
    mint_seconds: float,
    server_cpu: Callable[[], float],
) -> Run:
    """Codes minted for `mint_seconds` (not timed), then all exchanged as fast as the
    workers go (timed): the token endpoint's part of a flow alone."""
    minted: list[tuple[str, str]] = []
    deadline = time.monotonic() + mint_seconds

    run = Run()

    async def mint(bearer: dict[str, str]) -> None:
        while time.monotonic() < deadline:
            try:
                minted.append(await authorize(http, client_id, bearer))
            except (FlowFailed, httpx.HTTPError, KeyError):
                run.failed += 1

    await asyncio.gather(*(mint(b) for b in bearers))

    async def worker() -> None:
        while minted:
            code, verifier = minted.pop()
            began = time.perf_counter()
            try:
                await exchange(http, client_id, code, verifier)
            except (FlowFailed, httpx.HTTPError):
                run.failed += 1
                continue
            run.latencies.append(time.perf_counter() - began)
            run.done += 1

    cpu, wall = server_cpu(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in bearers))
    run.seconds, run.cpu = time.perf_counter() - wall, server_cpu() - cpu
    return run


async def _in_process(
    n: int, database_url: str, redis_url: str, profiler: cProfile.Profile | None
) -> tuple[list[float], float]:
    from asgi_lifespan import LifespanManager
    from auth_service.app import create_app
    from auth_service.config import Settings

    admin = {"email": "root@example.org", "password": "root-pass-123-bench"}
    person = {"email": "bench@example.org", "password": "lantern-quarry-47"}
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        access_log=False,
        dev_mode=True,
        bootstrap_admin_email=admin["email"],
        bootstrap_admin_password=admin["password"],
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        base = "http://localhost:8080"
        async with httpx.AsyncClient(transport=transport, base_url=base) as http:
            root = (await http.post("/api/auth/login", json=admin)).json()["access_token"]
            body = {
                "name": "Bench app",
                "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": [REDIRECT],
                "token_endpoint_auth_method": "none",
            }
            made = await http.post(
                "/api/auth/admin/clients",
                json=body,
                headers={"Authorization": f"Bearer {root}"},
            )
            client_id = made.raise_for_status().json()["client_id"]
            signed_up = (await http.post("/api/auth/signup", json=person)).raise_for_status()
            bearer = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}
            await exchange(http, client_id, *await authorize(http, client_id, bearer))
            timings, loop_cpu = [], 0.0
            if profiler is not None:  # the flows only, not the app's start-up
                profiler.enable()
            for _ in range(n):
                cpu, began = time.thread_time(), time.perf_counter()
                await exchange(http, client_id, *await authorize(http, client_id, bearer))
                timings.append(time.perf_counter() - began)
                loop_cpu += time.thread_time() - cpu
            if profiler is not None:
                profiler.disable()
            return timings, loop_cpu


def main() -> None:
    from bench.inprocess import auth_stores, rate_and_latency

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile the flows")
    parser.add_argument("--sort", default="tottime", help="cProfile's order (tottime, cumtime)")
    parser.add_argument("--only", default="", help="a regular expression: those functions")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    with auth_stores() as stores:
        timings, cpu = asyncio.run(_in_process(args.n, *stores, profiler))
    if profiler is not None:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.only, 40)
    print(
        f"{args.n} sequential code flows: {rate_and_latency(timings)}; "
        f"{cpu * 1e6 / args.n:.0f} us of the event loop's CPU each (client included); "
        f"median {statistics.median(timings) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
