"""The items of the benchmark issue, each a function of the run (`bench.run.Run`).

Every ratio compares loads measured in the same interleaved rounds (`measure.interleaved`):
the machine's drift then hits both sides alike.
"""

from __future__ import annotations

import inspect
import os
import time
from typing import TYPE_CHECKING

import httpx
from auth_client import AuthClient

from bench import tokens
from bench.measure import Load, Measured, interleaved, measure, wait_quiet, warm
from bench.procs import Server
from bench.report import Row, ratio_row
from bench.wrk import Wrk, WrkResult

if TYPE_CHECKING:
    from bench.run import Run


# Short rounds, often alternated: bursts of other work on the machine then fall on every side
# of a ratio alike (rounds of 5 s varied by 15-20% here; whole loads compared a minute apart
# would be worse).
ROUNDS = 4


def _say(text: str) -> None:
    print(f"bench: {text}", flush=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# 1 and 2 --------------------------------------------------------------------------------


def resource_and_introspection(run: Run) -> None:
    rb = run.resource_bench
    base, pid = f"http://127.0.0.1:{rb.port}", rb.pid
    cache_size = inspect.signature(AuthClient).parameters["token_cache_size"].default
    count = int(cache_size * 1.1)
    _say(
        f"minting {count:,} access tokens with the auth service's key "
        f"(more than the {cache_size:,} the verified-token cache holds) ..."
    )
    token_file = run.log_dir / "access-tokens.txt"
    distinct = tokens.mint_like(run.stack.service_env(), run.access_token, count, token_file)
    run.details["distinct tokens for 1b"] = distinct
    same, metrics = bearer(run.access_token), f"{base}/metrics"
    loads = [
        Load("twin", f"{base}/api/resource/bench/anonymous", (pid,)),
        Load("me-same", f"{base}/api/resource/me", (pid,), headers=same, metrics_url=metrics),
        Load(
            "me-new",
            f"{base}/api/resource/me",
            (pid,),
            script="tokens",
            args=(str(token_file), str(run.log_dir / "token-position")),
            metrics_url=metrics,
        ),
        Load(
            "introspected",
            f"{base}/api/resource/bench/introspected-me",
            (pid, run.auth_bench.pid),
            headers=same,
        ),
    ]
    _say("1, 2: resource service GET /me vs its unauthenticated twin, vs introspection ...")
    warm(loads)
    m = interleaved(loads, rounds=ROUNDS, seconds=run.seconds / ROUNDS)
    run.measured["1"] = m
    for key, label in (
        ("twin", "resource: unauthenticated twin of /me"),
        ("me-same", "resource: GET /me, same token"),
        ("me-new", "resource: GET /me, new token each request"),
        ("introspected", "resource: GET /me asking the auth service"),
    ):
        run.detail(label, m[key])
    cpu = {key: value.cpu_us_per_request for key, value in m.items()}
    rate = {key: value.rate for key, value in m.items()}
    run.rows += [
        ratio_row(
            "1a",
            "GET /me (same token) / unauthenticated twin",
            rate["me-same"],
            rate["twin"],
            "req/s",
            0.90,
            cpu=(cpu["me-same"], cpu["twin"]),
        ),
        ratio_row(
            "1b",
            "GET /me (new token each) / unauthenticated twin",
            rate["me-new"],
            rate["twin"],
            "req/s",
            0.60,
            cpu=(cpu["me-new"], cpu["twin"]),
        ),
        ratio_row(
            "2",
            "local verification / introspection per request",
            rate["me-new"],
            rate["introspected"],
            "req/s",
            5,
            times=True,
            cpu=(cpu["me-new"], cpu["introspected"]),
        ),
        ratio_row(
            "2'",
            "the same, with the verified-token cache (same token)",
            rate["me-same"],
            rate["introspected"],
            "req/s",
            5,
            times=True,
            cpu=(cpu["me-same"], cpu["introspected"]),
        ),
    ]
    for key, label, kind in (
        ("twin", "resource, no auth (twin)", "baseline"),
        ("me-same", "resource /me, same token", "ours"),
        ("me-new", "resource /me, new token each", "ours"),
        ("introspected", "/me asking the auth service", "alternative"),
    ):
        run.bar("rates", label, m[key].rate, kind)


# 5 --------------------------------------------------------------------------------------


def through_gateway(run: Run) -> None:
    _say("5: the same authenticated GET through Traefik and direct ...")
    res, gateway, same = run.pids["resource"], run.pids["gateway"], bearer(run.access_token)
    loads = [
        Load("direct", f"{run.resource}/api/resource/me", (res,), headers=same),
        Load("gateway", f"{run.gateway}/api/resource/me", (res, gateway), headers=same),
    ]
    warm(loads)
    m = interleaved(loads, rounds=ROUNDS, seconds=run.seconds / ROUNDS)
    run.measured["5"] = m
    run.detail("resource (make run's): GET /me direct", m["direct"])
    run.detail("resource (make run's): GET /me through Traefik", m["gateway"])
    run.rows.append(
        ratio_row(
            "5",
            "GET /me through Traefik / direct",
            m["gateway"].rate,
            m["direct"].rate,
            "req/s",
            0.85,
            cpu=(m["gateway"].cpu_us_per_request, m["direct"].cpu_us_per_request),
        )
    )
    run.bar("rates", "resource /me through Traefik", m["gateway"].rate)


# 3 --------------------------------------------------------------------------------------

CHAINS = 8  # sessions refreshed at once, each by its own wrk thread and connection


def refresh_load(run: Run, name: str, base: str, pid: int) -> Load:
    """Rotation chains on fresh sessions (a spent token must never be presented again)."""
    path = run.fresh_refresh_tokens(CHAINS)
    return Load(
        name,
        f"{base}/api/auth/refresh",
        (pid,),
        connections=CHAINS,
        threads=CHAINS,
        script="refresh",
        env={**os.environ, "BENCH_REFRESH_TOKENS": str(path)},
    )


def refresh_rotations(run: Run) -> None:
    _say("3: refresh rotations per second (one worker) vs raw RSA-2048 signing ...")
    parts, signing = [], []
    for _ in range(2):  # rotations and signatures in turn
        parts.append(
            measure(refresh_load(run, "refresh", run.auth, run.pids["auth"]), run.seconds / 2)
        )
        signing.append(run.signer.raw_rsa(2.0))
    m = Measured.combine(parts)
    run.detail("auth: POST /refresh (rotation chains)", m)
    rsa_rate = sum(r.per_second for r in signing) / len(signing)
    rsa_cpu = sum(r.per_cpu_second for r in signing) / len(signing)
    jose = run.signer.jose_rs256(2.0)
    run.rsa_rate = rsa_rate
    run.details["RSA-2048 signatures/s, cryptography, one thread"] = round(rsa_rate)
    run.details["RSA-2048 signatures per CPU-second"] = round(rsa_cpu)
    run.details["access tokens/s, python-jose + ready key, one thread"] = round(jose.per_second)
    run.details["refresh: rotations per auth-service CPU-second"] = round(m.per_cpu_second)
    run.rows.append(
        ratio_row(
            "3",
            "refresh rotations/s (1 worker) / RSA-2048 signs/s",
            m.rate,
            rsa_rate,
            "/s",
            0.45,
            cpu=(m.cpu_us_per_request, 1e6 / rsa_cpu),
        )
    )
    if m.result.extra.get("broken"):
        _say(f"  warning: {m.result.extra['broken']} refresh answers were not a rotation")
    run.bar("rates", "auth /refresh (rotations)", m.rate)
    run.bar("rates", "RSA-2048 signatures (in-process)", rsa_rate, "baseline")


# 4 (and the log-in half of 7) ------------------------------------------------------------


def login_under_load(
    run: Run, name: str, base: str, paths: tuple[str, str], form: bool, pid: int, seconds: float
) -> tuple[Measured, WrkResult]:
    """16 log-ins at once for `seconds`, and the latency of a health check meanwhile."""
    login_path, health_path = paths
    load = Load(
        name,
        f"{base}{login_path}",
        (pid,),
        connections=16,
        script="login",
        args=(str(run.users_file), "form" if form else "json"),
    )
    before = load.cpu()
    logins = load.start(seconds)
    time.sleep(1.0)
    health = Wrk(f"{base}{health_path}", seconds=max(1.0, seconds - 2), connections=1).result()
    result = logins.result()
    after = load.cpu()
    wait_quiet(f"{base}{health_path}")  # log-ins still in flight end before what comes next
    return Measured(load, result, {pid: after[pid] - before[pid]}, [result]), health


def log_ins(run: Run) -> None:
    _say("4: log-ins per second, and /healthz while 16 log-ins run (7: fastapi-users too) ...")
    auth_paths = ("/api/auth/login", "/api/auth/healthz")
    idle = Wrk(f"{run.auth}{auth_paths[1]}", seconds=3, connections=1).result()

    def wrapper(server: Server) -> Side:
        return (f"http://127.0.0.1:{server.port}", auth_paths, False, server.pid)

    # The stack's auth service (the target's figure); the bench wrapper of the same code,
    # whose log goes to a file, as shipped and hashing all 16 at once (as before c5162c9).
    sides: dict[str, Side] = {
        "Gatehouse": (run.auth, auth_paths, False, run.pids["auth"]),
        "wrapper": wrapper(run.auth_bench),
        "wrapper-16": wrapper(run.auth_unbounded),
    }
    if run.fastapi_users is not None:
        fu = run.fastapi_users
        sides["fastapi-users"] = (
            f"http://127.0.0.1:{fu.port}",
            ("/auth/jwt/login", "/healthz"),
            True,
            fu.pid,
        )
    logins: dict[str, list[Measured]] = {name: [] for name in sides}
    probes: dict[str, list[WrkResult]] = {name: [] for name in sides}
    verify_times = [run.argon2.verify_seconds()]
    names = list(sides)
    for number in range(2):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            m, health = login_under_load(run, name, *sides[name], seconds=run.seconds / 2)
            logins[name].append(m)
            probes[name].append(health)
        verify_times.append(run.argon2.verify_seconds())
    t_verify = sum(verify_times) / len(verify_times)
    login = {name: Measured.combine(parts) for name, parts in logins.items()}
    busy = {name: WrkResult.combine(parts) for name, parts in probes.items()}
    run.measured["4"] = login
    run.details["argon2id verify (m=19456,t=2,p=1), one thread, ms"] = round(t_verify * 1000, 1)
    run.details["auth: GET /healthz idle, p50/p99 ms"] = [idle.p50_ms, idle.p99_ms]
    for name, label in LOGIN_LABELS.items():
        if name in login:
            run.detail(f"{label}: POST log-in, 16 at once", login[name])
            b = busy[name]
            run.details[f"{label}: GET /healthz during 16 log-ins, p50/p99/max ms"] = [
                b.p50_ms,
                b.p99_ms,
                b.max_ms,
            ]
    ours, p99 = login["Gatehouse"], busy["Gatehouse"].p99_ms
    per_core = ours.rate / run.cores
    cpu_ratio = t_verify * 1e6 / ours.cpu_us_per_request if ours.result.ok else 0.0
    shipped, unbounded = busy["wrapper"].p99_ms, busy["wrapper-16"].p99_ms
    run.rows += [
        Row(
            "4",
            "log-ins/s per core / (1 / argon2 verify time)",
            f"{per_core:.1f} / {1 / t_verify:.1f} per s",
            per_core * t_verify,
            f"{per_core * t_verify:.2f}",
            by_cpu=f"{cpu_ratio:.2f}",
        ),
        Row(
            "4'",
            "p99 of GET /healthz while 16 log-ins run",
            f"idle p99 {idle.p99_ms:.1f} ms",
            p99,
            f"{p99:.1f} ms",
            "< 25 ms",
            p99 < 25,
        ),
        Row(
            "4'*",
            "what-if: all 16 hashing at once (before c5162c9), same wrapper",
            f"{unbounded:.1f} vs {shipped:.1f} ms as shipped; "
            f"{login['wrapper-16'].rate:.1f} vs {login['wrapper'].rate:.1f} log-ins/s",
            unbounded,
            f"{unbounded:.1f} ms",
            "(< 25 ms)",
        ),
    ]
    run.bar("login", "Gatehouse (make run's), idle", idle.p99_ms, "baseline")
    run.bar("login", "Gatehouse (make run's), 16 log-ins", p99)
    run.bar("login", "same code in the bench wrapper", shipped)
    run.bar("login", "wrapper, 16 hashes at once (old)", unbounded, "whatif")
    if "fastapi-users" in login:
        theirs, their_p99 = login["fastapi-users"], busy["fastapi-users"].p99_ms
        run.rows += [
            Row(
                "7",
                "log-ins/s: Gatehouse / fastapi-users (same argon2id)",
                f"{ours.rate:.1f} / {theirs.rate:.1f} per s",
                ours.rate / theirs.rate,
                f"{ours.rate / theirs.rate:.1f}x",
            ),
            Row(
                "7",
                "p99 of /healthz during 16 log-ins: fastapi-users",
                f"Gatehouse {p99:.0f} ms",
                their_p99,
                f"{their_p99:.0f} ms",
            ),
        ]
        run.bar("login", "fastapi-users, 16 log-ins", their_p99, "alternative")


Side = tuple[str, tuple[str, str], bool, int]  # base URL, (log-in, health) paths, form?, pid
LOGIN_LABELS = {
    "Gatehouse": "auth",
    "wrapper": "auth (bench wrapper), hashing as shipped",
    "wrapper-16": "auth (bench wrapper), 16 hashes at once",
    "fastapi-users": "fastapi-users",
}


# 7 --------------------------------------------------------------------------------------


def fastapi_users_me(run: Run) -> None:
    _say("7: GET /me side by side with fastapi-users (its own environment, same PostgreSQL) ...")
    assert run.fastapi_users is not None
    fu = run.fastapi_users
    base = f"http://127.0.0.1:{fu.port}"
    form = {"username": "bench-0@example.com", "password": "bench passphrase, long enough 0"}
    hs = httpx.post(f"{base}/auth/jwt/login", data=form, timeout=30).json()["access_token"]
    rs = httpx.post(f"{base}/rs/auth/jwt/login", data=form, timeout=30).json()["access_token"]
    ours = bearer(run.access_token)
    loads = [
        Load(
            "ours-resource",
            f"{run.resource}/api/resource/me",
            (run.pids["resource"],),
            headers=ours,
        ),
        Load("ours-auth", f"{run.auth}/api/auth/me", (run.pids["auth"],), headers=ours),
        Load("fu-hs256", f"{base}/users/me", (fu.pid,), headers=bearer(hs)),
        Load("fu-rs256", f"{base}/rs/users/me", (fu.pid,), headers=bearer(rs)),
    ]
    warm(loads)
    m = interleaved(loads, rounds=ROUNDS, seconds=run.seconds / ROUNDS)
    run.measured["7"] = m
    run.detail("Gatehouse resource: GET /api/resource/me (token only)", m["ours-resource"])
    run.detail("Gatehouse auth: GET /api/auth/me (token + session + user row)", m["ours-auth"])
    run.detail("fastapi-users: GET /users/me, HS256 (default)", m["fu-hs256"])
    run.detail("fastapi-users: GET /users/me, RS256 (PEM key)", m["fu-rs256"])
    cpu = {key: value.cpu_us_per_request for key, value in m.items()}
    for key, what in (("ours-resource", "resource /me"), ("ours-auth", "auth /me (DB read)")):
        value = m[key].rate / m["fu-hs256"].rate
        run.rows.append(
            Row(
                "7",
                f"GET /me: Gatehouse {what} / fastapi-users (HS256)",
                f"{m[key].rate:,.0f} / {m['fu-hs256'].rate:,.0f} req/s",
                value,
                f"{value:.1f}x",
                by_cpu=f"{cpu['fu-hs256'] / cpu[key]:.1f}x",
            )
        )
    run.bar("rates", "fastapi-users /users/me (HS256)", m["fu-hs256"].rate, "alternative")
    run.bar("rates", "fastapi-users /users/me (RS256)", m["fu-rs256"].rate, "alternative")
    run.bar("rates", "Gatehouse auth /me (DB read)", m["ours-auth"].rate)
