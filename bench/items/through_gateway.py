"""Item 5: the same authenticated GET through Traefik and direct; where Traefik's cost goes
(one entrypoint per middleware) and the what-if of a core of its own, when it is missed."""

from __future__ import annotations

import os

from devstack.throwaway import UNLIMITED_GATEWAY_RATE

from bench.context import Context
from bench.gateway import ablation_gateway
from bench.items.common import ROUNDS, bearer, figures, say
from bench.measure import Load, Measured, interleaved, warm
from bench.report import Bar, Outcome, Row, ratio_row
from bench.whatif import WHAT_IF_ROUNDS, pinned

GATEWAY_TARGET = 0.85


def through_traefik_vs_direct(ctx: Context) -> Outcome:
    say("5: the same authenticated GET through Traefik and direct ...")
    res, gateway, same = ctx.pids["resource"], ctx.pids["gateway"], bearer(ctx.access_token)
    loads = [
        Load("direct", f"{ctx.resource}/api/resource/me", (res,), headers=same),
        Load("gateway", f"{ctx.gateway}/api/resource/me", (res, gateway), headers=same),
    ]
    warm(loads)
    m = interleaved(loads, rounds=ROUNDS, seconds=ctx.seconds / ROUNDS)
    out = Outcome()
    out.details["resource (make run's): GET /me direct"] = figures(m["direct"], ctx.pids)
    out.details["resource (make run's): GET /me through Traefik"] = figures(m["gateway"], ctx.pids)
    row = ratio_row(
        "5",
        "GET /me through Traefik / direct",
        m["gateway"].rate,
        m["direct"].rate,
        "req/s",
        GATEWAY_TARGET,
        cpu=(m["gateway"].cpu_us_per_request, m["direct"].cpu_us_per_request),
    )
    out.rows.append(row)
    out.bars.append(Bar("rates", "resource /me through Traefik", m["gateway"].rate))
    if ctx.profile and not row.met:
        _where_the_cost_goes(ctx, out)
        _core_of_its_own(ctx, m, out)
    return out


def _where_the_cost_goes(ctx: Context, out: Outcome) -> None:
    say("where the gateway's cost goes: a bench-only Traefik, one entrypoint per middleware")
    same, res = bearer(ctx.access_token), ctx.pids["resource"]
    env = {**os.environ, **UNLIMITED_GATEWAY_RATE}  # as the stack's own gateway has it
    with ablation_gateway(ctx.stack, ctx.log_dir, env) as (traefik, ports):
        loads = [Load("direct", f"{ctx.resource}/api/resource/me", (res,), headers=same)]
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
    out.details["gateway: where the cost goes (CPU us per request)"] = {
        name: {
            "requests_per_second": round(x.rate),
            "resource": round(x.cpu_us_per_request_of(res)),
            "traefik": round(x.cpu_us_per_request_of(traefik.pid)),
        }
        for name, x in m.items()
    }


def _core_of_its_own(ctx: Context, m: dict[str, Measured], out: Outcome) -> None:
    if ctx.cores < 2:
        return
    say("what-if: the resource service on a core of its own, Traefik and wrk on the other ...")
    loads = [m["direct"].load, m["gateway"].load]
    with pinned({ctx.pids["resource"]: {0}, ctx.pids["gateway"]: {1}, os.getpid(): {1}}):
        warm(loads, 0.5)
        p = interleaved(loads, rounds=WHAT_IF_ROUNDS, seconds=ctx.seconds / ROUNDS)
    value = p["gateway"].rate / p["direct"].rate
    out.rows.append(
        Row(
            "5*",
            "what-if: service on core 0, Traefik and wrk on core 1",
            f"{p['gateway'].rate:,.0f} / {p['direct'].rate:,.0f} req/s",
            value,
            f"{value:.2f}",
            f"(>= {GATEWAY_TARGET:.2f})",
        )
    )
