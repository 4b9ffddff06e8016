"""Item 4 (and the log-in half of 7): log-ins per second against one argon2id verification's
time, per core, and the latency of a health check while 16 and 64 log-ins run at once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from auth_service import registry
from auth_service.config import Settings
from auth_service.security.passwords import PasswordHasher

from bench.context import Context
from bench.items.common import figures, say
from bench.measure import Load, Measured, wait_quiet
from bench.procs import Server
from bench.report import Bar, Outcome, Row
from bench.whatif import py_spy
from bench.wrk import Wrk, WrkResult

LOGIN_TARGET = 0.8
HEALTH_P99_MS = 25.0
AUTH_PATHS = ("/api/auth/login", "/api/auth/healthz")


@dataclass(frozen=True)
class Side:
    label: str
    base: str
    paths: tuple[str, str]  # log-in, health check
    form: bool  # an OAuth2 password form (fastapi-users) rather than JSON
    pid: int
    connections: int = 16


def login_under_load(ctx: Context, side: Side, seconds: float) -> tuple[Measured, WrkResult]:
    """`side.connections` log-ins at once for `seconds`, and a health check's latency meanwhile."""
    login_path, health_path = side.paths
    load = Load(
        side.label,
        f"{side.base}{login_path}",
        (side.pid,),
        connections=side.connections,
        script="login",
        args=(str(ctx.users_file), "form" if side.form else "json"),
    )
    before = load.cpu()
    logins = load.start(seconds)
    time.sleep(1.0)
    health = Wrk(f"{side.base}{health_path}", seconds=max(1.0, seconds - 2), connections=1)
    probe = health.result()
    result = logins.result()
    after = load.cpu()
    wait_quiet(f"{side.base}{health_path}")  # log-ins still in flight end before what comes next
    cpu = {side.pid: after[side.pid] - before[side.pid]}
    return Measured(load, result, cpu, [result]), probe


def log_ins_vs_argon2_verify_time(ctx: Context) -> Outcome:
    say("4: log-ins per second, and /healthz while 16 and 64 log-ins run (7: fastapi-users) ...")
    idle = Wrk(f"{ctx.auth}{AUTH_PATHS[1]}", seconds=3, connections=1).result()
    env = ctx.stack.service_env()
    # The same wrapper of the auth service hashing as before: one thread fewer than cores, at
    # the event loop's own priority.
    before_env = {
        **env,
        "AUTH_PASSWORD_HASH_CONCURRENCY": str(max(1, ctx.cores - 1)),
        "AUTH_PASSWORD_HASH_NICENESS": "0",
    }
    factory = "bench.apps.auth_bench:create_app"
    with ctx.server("auth-hashing-before", factory, before_env, "/api/auth/readyz") as before:
        sides = _sides(ctx, before)
        login, busy = _rounds(ctx, sides)
    alone = hashing_alone(ctx.seconds / 2)
    return _outcome(ctx, login, busy, idle, alone)


def hashing_alone(seconds: float, at_once: int = 16) -> float:
    """Verifications/s of the service's own PasswordHasher (its threads, its niceness, its
    parameters), `at_once` queued, in this process, with no HTTP, database or Redis: the
    most log-ins this machine could give if a log-in cost nothing but its hash."""
    password = "correct horse battery staple"  # noqa: S105 - a benchmark input

    async def run() -> float:
        async with registry.build(Settings(dev_mode=True)) as built:  # lazy: no store is met
            return await verifications(built.hasher)

    async def verifications(hasher: PasswordHasher) -> float:
        stored = await hasher.hash(password)
        done, deadline = 0, time.monotonic() + seconds
        started = time.monotonic()

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                await hasher.verify(password, stored)
                done += 1

        await asyncio.gather(*(worker() for _ in range(at_once)))
        return done / (time.monotonic() - started)

    return asyncio.run(run())


def _sides(ctx: Context, before: Server) -> dict[str, Side]:
    auth = ctx.pids["auth"]
    sides = {
        "Gatehouse": Side("auth", ctx.auth, AUTH_PATHS, False, auth),
        "Gatehouse-64": Side("auth, 64 at once", ctx.auth, AUTH_PATHS, False, auth, 64),
        "wrapper": Side(
            "auth (bench wrapper), hashing as shipped",
            ctx.url(ctx.auth_bench),
            AUTH_PATHS,
            False,
            ctx.auth_bench.pid,
        ),
        "before": Side(
            "auth (bench wrapper), hashing as before",
            ctx.url(before),
            AUTH_PATHS,
            False,
            before.pid,
        ),
    }
    if ctx.fastapi_users is not None:
        fu = ctx.fastapi_users
        sides["fastapi-users"] = Side(
            "fastapi-users", ctx.url(fu), ("/auth/jwt/login", "/healthz"), True, fu.pid
        )
    return sides


def _rounds(
    ctx: Context, sides: dict[str, Side]
) -> tuple[dict[str, tuple[Measured, Side]], dict[str, WrkResult]]:
    logins: dict[str, list[Measured]] = {name: [] for name in sides}
    probes: dict[str, list[WrkResult]] = {name: [] for name in sides}
    names = list(sides)
    for number in range(2):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            m, health = login_under_load(ctx, sides[name], seconds=ctx.seconds / 2)
            logins[name].append(m)
            probes[name].append(health)
    login = {name: (Measured.combine(parts), sides[name]) for name, parts in logins.items()}
    return login, {name: WrkResult.combine(parts) for name, parts in probes.items()}


def _outcome(
    ctx: Context,
    login: dict[str, tuple[Measured, Side]],
    busy: dict[str, WrkResult],
    idle: WrkResult,
    alone: float,
) -> Outcome:
    out = Outcome()
    t_verify = sum(ctx.argon2.verify_seconds() for _ in range(2)) / 2
    out.details["argon2id verify (m=19456,t=2,p=1), one thread, ms"] = round(t_verify * 1000, 1)
    out.details["auth: GET /healthz idle, p50/p99 ms"] = [idle.p50_ms, idle.p99_ms]
    for name, (m, side) in login.items():
        out.details[f"{side.label}: POST log-in, {side.connections} at once"] = figures(m, ctx.pids)
        b = busy[name]
        during = f"{side.label}: GET /healthz during {side.connections} log-ins, p50/p99/max ms"
        out.details[during] = [b.p50_ms, b.p99_ms, b.max_ms]
    ours = login["Gatehouse"][0]
    per_core = ours.rate / ctx.cores
    value = per_core * t_verify
    cpu_ratio = t_verify * 1e6 / ours.cpu_us_per_request if ours.result.ok else 0.0
    p16, p64 = busy["Gatehouse"].p99_ms, busy["Gatehouse-64"].p99_ms
    shipped, before = busy["wrapper"].p99_ms, busy["before"].p99_ms
    rate_shipped, rate_before = login["wrapper"][0].rate, login["before"][0].rate
    out.rows += [
        Row(
            "4",
            "log-ins/s per core / (1 / argon2 verify time)",
            f"{per_core:.1f} / {1 / t_verify:.1f} per s",
            value,
            f"{value:.2f}",
            f">= {LOGIN_TARGET:.2f}",
            value >= LOGIN_TARGET,
            by_cpu=f"{cpu_ratio:.2f}",
        ),
        Row(
            "4'",
            "p99 of GET /healthz while 16 log-ins run",
            f"idle p99 {idle.p99_ms:.1f} ms",
            p16,
            f"{p16:.1f} ms",
            f"< {HEALTH_P99_MS:.0f} ms",
            p16 < HEALTH_P99_MS,
        ),
        Row(
            "4''",
            "p99 of GET /healthz while 64 log-ins run",
            f"{login['Gatehouse-64'][0].rate:.1f} log-ins/s",
            p64,
            f"{p64:.1f} ms",
            f"< {HEALTH_P99_MS:.0f} ms",
            p64 < HEALTH_P99_MS,
        ),
        Row(
            "4*",
            "what-if: hashing as before (cores - 1 threads, loop's priority), same wrapper",
            f"{rate_before:.1f} vs {rate_shipped:.1f} log-ins/s as shipped; "
            f"p99 {before:.1f} vs {shipped:.1f} ms",
            rate_before / ctx.cores * t_verify,
            f"{rate_before / ctx.cores * t_verify:.2f}",
            f"(>= {LOGIN_TARGET:.2f})",
        ),
        Row(
            "4*",
            "what-if: the hashes alone (the service's hashing threads, 16 at once, no HTTP, "
            "no stores)",
            f"{alone:.1f} verifications/s vs {ours.rate:.1f} log-ins/s as shipped",
            alone / ctx.cores * t_verify,
            f"{alone / ctx.cores * t_verify:.2f}",
            f"(>= {LOGIN_TARGET:.2f})",
        ),
    ]
    out.details["the service's PasswordHasher alone, 16 at once, verifications/s"] = round(alone, 1)
    out.bars += [
        Bar("login", "Gatehouse (make run's), idle", idle.p99_ms, "baseline"),
        Bar("login", "Gatehouse, 16 log-ins", p16),
        Bar("login", "Gatehouse, 64 log-ins", p64),
        Bar("login", "wrapper, hashing as before", before, "whatif"),
    ]
    if "fastapi-users" in login:
        theirs, their_p99 = login["fastapi-users"][0], busy["fastapi-users"].p99_ms
        out.rows += [
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
                f"Gatehouse {p16:.0f} ms",
                their_p99,
                f"{their_p99:.0f} ms",
            ),
        ]
        out.bars.append(Bar("login", "fastapi-users, 16 log-ins", their_p99, "alternative"))
    if ctx.profile and not (out.rows[0].met and out.rows[1].met and out.rows[2].met):
        side = login["Gatehouse"][1]
        load = Load(
            "login",
            f"{side.base}{side.paths[0]}",
            (side.pid,),
            script="login",
            args=(str(ctx.users_file), "json"),
        )
        found = py_spy(ctx, "auth POST /login, 16 at once (4)", load, side.pid)
        if found is not None:
            out.profiles.append(found)
    return out
