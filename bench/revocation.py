"""Revocation everywhere, measured: `python -m bench.revocation`.

1. Lag: on a throw-away stack under light load (one client reading /api/resource/me in a
   loop), 200 log-outs; each lag is the time from the log-out's response to the first 401
   of the resource service (through the gateway) for that session's access token.
2. Cost: one `AuthClient.verify` of the same (cached) token, with the revocation feed's
   index (1,000 entries) checked and without: the ratio on ÷ off, in-process.

`main()` returns the rows (dicts) and prints them.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from auth_client import AuthClient, RevocationFeed
from auth_client.testing import LocalIssuer
from devstack.throwaway import UNLIMITED_GATEWAY_RATE, throwaway_stack

PASSWORD = "a perfectly fine bench passphrase"  # noqa: S105 (a throw-away account)
CSRF = {"X-Requested-With": "fetch"}
REVOCATIONS = 200
VERIFICATIONS = 20_000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _light_load(base_url: str, bearer: dict[str, str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url) as http:
        while not stop.is_set():
            http.get("/api/resource/me", headers=bearer)
            time.sleep(0.02)  # ~50 requests/s


def _one_lag(base_url: str, email: str) -> float:
    with httpx.Client(base_url=base_url) as http:
        login = http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert http.get("/api/resource/me", headers=bearer).status_code == 200
        assert http.post("/api/auth/logout", headers=CSRF).status_code == 204
        revoked_at = time.perf_counter()
        while http.get("/api/resource/me", headers=bearer).status_code != 401:
            if time.perf_counter() - revoked_at > 30:
                raise RuntimeError("a log-out was not refused within 30 s")
        return time.perf_counter() - revoked_at


def measure_lag(count: int = REVOCATIONS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "stack.log"
        with throwaway_stack("bench-revocation", log, UNLIMITED_GATEWAY_RATE) as running:
            base_url = running.base_url
            with httpx.Client(base_url=base_url) as http:
                email = f"bench-{uuid.uuid4().hex[:10]}@gatehouse.example"
                signup = http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
                bearer = {"Authorization": f"Bearer {signup.json()['access_token']}"}
            stop = threading.Event()
            load = threading.Thread(target=_light_load, args=(base_url, bearer, stop))
            load.start()
            try:
                lags = [_one_lag(base_url, email) for _ in range(count)]
            finally:
                stop.set()
                load.join()
    return {
        "name": "revocation lag (log-out -> 401 at the resource service)",
        "revocations": count,
        "p50_ms": round(statistics.median(lags) * 1000, 1),
        "p99_ms": round(_percentile(lags, 0.99) * 1000, 1),
        "max_ms": round(max(lags) * 1000, 1),
        "bound_ms": 2000,
    }


async def _verify_seconds(client: AuthClient, token: str, count: int) -> float:
    await client.verify(token)  # verified once; then every call is a cache hit
    started = time.perf_counter()
    for _ in range(count):
        await client.verify(token)
    return (time.perf_counter() - started) / count


async def measure_cost(count: int = VERIFICATIONS) -> dict[str, Any]:
    issuer = LocalIssuer("http://issuer.bench")
    token = issuer.mint_user()
    transport = httpx.ASGITransport(app=issuer.app)
    results = {}
    for label in ("off", "on"):
        feed = None
        if label == "on":
            feed = RevocationFeed(issuer.issuer, "bench", "secret")
            expires = time.time() + 900
            feed.index.replace(
                {"kind": "session", "value": str(uuid.uuid4()), "expires_at": expires}
                for _ in range(1000)
            )
            feed._following = True  # as while following: no staleness check fires
        async with httpx.AsyncClient(transport=transport) as http:
            client = AuthClient(
                issuer=issuer.issuer, audience=issuer.audience, http_client=http, revocations=None
            )
            client.revocations = feed  # not started: the index alone is what is measured
            await client.keys.load()
            # The best of 5 runs: the two sides see the same warm interpreter.
            runs = [await _verify_seconds(client, token, count) for _ in range(5)]
            results[label] = min(runs)
            if feed is not None:
                await feed.aclose()
    return {
        "name": "verification cost, feed on / off (same cached token, in-process)",
        "off_us": round(results["off"] * 1e6, 2),
        "on_us": round(results["on"] * 1e6, 2),
        "ratio": round(results["on"] / results["off"], 3),
    }


def main(revocations: int = REVOCATIONS) -> list[dict[str, Any]]:
    rows = [asyncio.run(measure_cost()), measure_lag(revocations)]
    for row in rows:
        print(row)
    return rows


if __name__ == "__main__":
    main()
