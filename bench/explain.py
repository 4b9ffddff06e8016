"""Why a target was missed: a py-spy profile of the service under the same load (never during
a measured run), and where we have a fix to recommend, the same load on a bench-only variant
with that fix ("what-if"), so that the gain is measured rather than guessed."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from devstack.throwaway import UNLIMITED_GATEWAY_RATE

from bench import benchenv, profile
from bench.gateway import ablation_gateway
from bench.items import ROUNDS, bearer, refresh_load
from bench.measure import Load, Measured, interleaved, measure, wait_quiet, warm
from bench.report import Row

if TYPE_CHECKING:
    from bench.run import Run


# What-ifs run half the rounds of the measured items: they size a change, the run stays
# under ten minutes.
WHAT_IF_ROUNDS = 2


def _say(text: str) -> None:
    print(f"bench: {text}", flush=True)


def py_spy(run: Run, name: str, load: Load, pid: int) -> None:
    """Run `load` again, with py-spy sampling `pid` meanwhile."""
    _say(f"profiling: {name} (py-spy) ...")
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    raw = run.log_dir / f"profile-{slug}.txt"
    seconds = max(5.0, run.seconds * 0.7)
    running = load.start(seconds)
    time.sleep(1.0)
    profile.start(benchenv.PY_SPY, pid, seconds - 3, raw).wait(timeout=seconds + 30)
    running.result()
    if load.script == "login":
        wait_quiet(f"{run.auth}/api/auth/healthz")
    if raw.exists():
        run.profiles.append(profile.summarize(name, raw))


def explain_misses(run: Run) -> None:
    missed = {row.item for row in run.rows if row.met is False}
    if missed & {"1a", "1b"}:
        resource(run)
    if "1b" in missed:
        m = run.measured["1"]
        py_spy(
            run, "resource GET /me, new token each (1b)", m["me-new"].load, run.resource_bench.pid
        )
    if "3" in missed:
        refresh(run)
    if "4'" in missed:
        load = Load(
            "login",
            f"{run.auth}/api/auth/login",
            (run.pids["auth"],),
            script="login",
            args=(str(run.users_file), "json"),
        )
        py_spy(run, "auth POST /login, 16 at once (4')", load, run.pids["auth"])
    if "5" in missed:
        gateway(run)


def resource(run: Run) -> None:
    m, rb = run.measured["1"], run.resource_bench
    py_spy(run, "resource GET /me, same token (1a)", m["me-same"].load, rb.pid)
    _say("what-if: GET /me with the Authorization header read in the one dependency ...")
    lean = Load(
        "me-lean",
        f"http://127.0.0.1:{rb.port}/api/resource/bench/me-lean",
        (rb.pid,),
        headers=m["me-same"].load.headers,
    )
    loads = [m["twin"].load, m["me-same"].load, lean]
    warm(loads)
    w = interleaved(loads, rounds=WHAT_IF_ROUNDS, seconds=run.seconds / ROUNDS)
    cpu = {key: value.cpu_us_per_request for key, value in w.items()}
    run.details["what-if 1a: lean auth dependency"] = {
        "requests_per_second": {key: round(value.rate) for key, value in w.items()},
        "cpu_us_per_request": {key: round(value) for key, value in cpu.items()},
    }
    value = w["me-lean"].rate / w["twin"].rate
    run.rows.append(
        Row(
            "1a*",
            "what-if: /me without the HTTPBearer sub-dependency / twin",
            f"{w['me-lean'].rate:,.0f} / {w['twin'].rate:,.0f} req/s (as is: "
            f"{w['me-same'].rate / w['twin'].rate:.2f})",
            value,
            f"{value:.2f}",
            "(>= 0.90)",
            by_cpu=f"{cpu['twin'] / cpu['me-lean']:.2f}",
        )
    )


def refresh(run: Run) -> None:
    py_spy(
        run,
        "auth POST /refresh (3)",
        refresh_load(run, "refresh", run.auth, run.pids["auth"]),
        run.pids["auth"],
    )
    _say("what-if: refresh without the pre-ping, the thread hop and the access line ...")
    env = {**run.stack.service_env(), "BENCH_LEAN_REQUESTS": "1", "AUTH_ACCESS_LOG": "false"}
    lean = run.server("auth-lean", "bench.apps.auth_bench:create_app", env, "/api/auth/readyz")
    sides = {"as shipped": run.auth_bench, "lean": lean}  # the same wrapper, with and without
    parts: dict[str, list[Measured]] = {name: [] for name in sides}
    for _ in range(2):
        for name, server in sides.items():
            load = refresh_load(run, name, f"http://127.0.0.1:{server.port}", server.pid)
            parts[name].append(measure(load, run.seconds / 2))
    m = {name: Measured.combine(runs) for name, runs in parts.items()}
    run.details["what-if 3: refresh, lean requests (bench wrapper of the auth service)"] = {
        name: {
            "rotations_per_second": round(x.rate, 1),
            "cpu_us_per_rotation": round(x.cpu_us_per_request),
            "ratio_to_rsa_signing": round(x.rate / run.rsa_rate, 3),
        }
        for name, x in m.items()
    }
    value = m["lean"].rate / run.rsa_rate
    run.rows.append(
        Row(
            "3*",
            "what-if: no pre-ping, async get_context, no access line",
            f"{m['lean'].rate:,.0f} vs {m['as shipped'].rate:,.0f} rotations/s as shipped",
            value,
            f"{value:.2f}",
            "(>= 0.45)",
            by_cpu=f"{m['as shipped'].cpu_us_per_request / m['lean'].cpu_us_per_request:.2f}x CPU",
        )
    )


@contextlib.contextmanager
def _pinned(assignments: dict[int, set[int]]) -> Iterator[None]:
    """Pin every thread of each process (and our own, which wrk inherits) to some CPUs."""

    def pin(pid: int, cpus: set[int]) -> None:
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), cpus)

    every = set(range(os.cpu_count() or 1))
    try:
        for pid, cpus in assignments.items():
            pin(pid, cpus)
        yield
    finally:
        for pid in assignments:
            with contextlib.suppress(OSError):
                pin(pid, every)


def gateway(run: Run) -> None:
    _say("where the gateway's cost goes: a bench-only Traefik, one entrypoint per middleware")
    same, res = bearer(run.access_token), run.pids["resource"]
    env = {**os.environ, **UNLIMITED_GATEWAY_RATE}  # as the stack's own gateway has it
    with ablation_gateway(run.stack, run.log_dir, env) as (traefik, ports):
        run.pids["Traefik (bench copy)"] = traefik.pid
        loads = [Load("direct", f"{run.resource}/api/resource/me", (res,), headers=same)]
        loads += [
            Load(
                f"Traefik: {name}",
                f"http://127.0.0.1:{port}/api/resource/me",
                (res, traefik.pid),
                headers=same,
            )
            for name, port in ports.items()
        ]
        warm(loads, 0.5)
        m = interleaved(loads, rounds=2, seconds=1)
    run.details["gateway: where the cost goes (CPU us per request)"] = {
        name: {
            "requests_per_second": round(x.rate),
            "resource": round(x.cpu_us_per_request_of(res)),
            "traefik": round(x.cpu_us_per_request_of(traefik.pid)),
        }
        for name, x in m.items()
    }
    if (os.cpu_count() or 1) < 2:
        return
    _say("what-if: the resource service on a core of its own, Traefik and wrk on the other ...")
    gw = run.measured["5"]
    loads = [gw["direct"].load, gw["gateway"].load]
    with _pinned({res: {0}, run.pids["gateway"]: {1}, os.getpid(): {1}}):
        warm(loads, 0.5)
        p = interleaved(loads, rounds=WHAT_IF_ROUNDS, seconds=run.seconds / ROUNDS)
    value = p["gateway"].rate / p["direct"].rate
    run.rows.append(
        Row(
            "5*",
            "what-if: service on core 0, Traefik and wrk on core 1",
            f"{p['gateway'].rate:,.0f} / {p['direct'].rate:,.0f} req/s",
            value,
            f"{value:.2f}",
            "(>= 0.85)",
        )
    )
