"""Item 3c: complete authorization-code flows (the application's GET /oauth/authorize, the
bounce page's decision with the consent already remembered, the code's exchange at
/oauth/token) per second and per core of the auth service, against the RSA ceiling: each
flow signs two tokens (the access token and the id_token; the refresh token is HS256), so
the ceiling is half the RSA-2048 signing rate. 3c' is the code exchange alone.

A flow is three requests that each need the answer of the one before, so the load is
driven from Python (httpx, one worker per person, 16 at once) rather than wrk; its CPU is
the bench process's, not counted: "by CPU time" is the auth service's own."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx

from bench import codeflows
from bench.codeflows import Run
from bench.context import USERS, Context, post_accounts
from bench.items.common import say
from bench.measure import cpu_seconds
from bench.micro import Rate
from bench.report import Bar, Outcome, Row


def _application(ctx: Context) -> str:
    """A public application (PKCE, no secret) registered as an operator does it."""
    command = [sys.executable, "-m", "auth_service", "clients", "create", "--name", "bench app"]
    command += ["--grant-type", "authorization_code", "--grant-type", "refresh_token"]
    command += ["--redirect-uri", codeflows.REDIRECT, "--token-endpoint-auth-method", "none"]
    made = subprocess.run(
        command, env=ctx.stack.service_env(), check=True, capture_output=True, text=True
    )
    return str(json.loads(made.stdout)["client_id"])


async def _rounds(ctx: Context, client_id: str, bearers: list[dict[str, str]]) -> dict[str, Any]:
    pid = ctx.pids["auth"]

    def server_cpu() -> float:
        return cpu_seconds(pid)

    limits = httpx.Limits(max_connections=len(bearers), max_keepalive_connections=len(bearers))
    async with httpx.AsyncClient(base_url=ctx.auth, timeout=60, limits=limits) as http:
        for bearer in bearers:  # each person's first flow asks for consent; allowed, remembered
            await codeflows.exchange(
                http, client_id, *await codeflows.authorize(http, client_id, bearer)
            )
        await codeflows.flows(http, client_id, bearers, 1.0, server_cpu)  # warm-up
        flows, exchanges, signing = [], [], []
        for _ in range(2):  # alternated with RSA signing: the machine's drift hits both
            flows.append(
                await codeflows.flows(http, client_id, bearers, ctx.seconds / 2, server_cpu)
            )
            signing.append(ctx.signer.raw_rsa(2.0))
            exchanges.append(
                await codeflows.exchanges(http, client_id, bearers, ctx.seconds / 2, server_cpu)
            )
    rsa = Rate(
        sum(r.per_second for r in signing) / len(signing),
        sum(r.per_cpu_second for r in signing) / len(signing),
    )
    return {"flows": Run.combine(flows), "exchanges": Run.combine(exchanges), "rsa": rsa}


def _row(item: str, measure: str, run: Run, rsa: Rate, noun: str) -> Row:
    """`run` against half the RSA rate (two signatures each), by wall and by CPU time."""
    ceiling, per_cpu_ceiling = rsa.per_second / 2, rsa.per_cpu_second / 2
    value = run.rate / ceiling
    return Row(
        item,
        measure,
        f"{run.rate:,.0f} / {ceiling:,.0f} {noun}/s; per CPU-second "
        f"{run.per_cpu_second:,.0f} / {per_cpu_ceiling:,.0f}",
        value,
        f"{value:.2f}",
        by_cpu=f"{run.per_cpu_second / per_cpu_ceiling:.2f}",
    )


def _figures(run: Run) -> dict[str, float]:
    return {
        "per_second": round(run.rate, 1),
        "done": run.done,
        "failed": run.failed,
        "seconds": round(run.seconds, 2),
        "auth_cpu_us_each": round(run.cpu / run.done * 1e6) if run.done else 0,
        "per_auth_cpu_second": round(run.per_cpu_second, 1),
        "p50_ms": round(run.percentile_ms(0.50), 1),
        "p99_ms": round(run.percentile_ms(0.99), 1),
    }


def code_flows_vs_rsa_signing(ctx: Context) -> Outcome:
    say("3c: authorization-code flows (authorize, consent remembered, exchange) vs RSA ...")
    client_id = _application(ctx)
    logins = post_accounts(ctx.auth, "/api/auth/login", USERS)
    bearers = [{"Authorization": f"Bearer {a.json()['access_token']}"} for a in logins]
    measured = asyncio.run(_rounds(ctx, client_id, bearers))
    flows, exchanges, rsa = measured["flows"], measured["exchanges"], measured["rsa"]
    for name, run in (("flows", flows), ("exchanges", exchanges)):
        if run.failed:
            say(f"  warning: {run.failed} of {run.done + run.failed} {name} failed")
    out = Outcome()
    out.details["auth: code flows (authorize + decision + token), 16 at once"] = _figures(flows)
    out.details["auth: code exchanges alone (POST /oauth/token), 16 at once"] = _figures(exchanges)
    out.details["3c: RSA-2048 signatures/s, per CPU-second"] = [
        round(rsa.per_second),
        round(rsa.per_cpu_second),
    ]
    out.rows += [
        _row(
            "3c",
            "code flows/s (authorize + consent remembered + exchange, 1 worker) / "
            "(RSA-2048 signs/s / 2)",
            flows,
            rsa,
            "flows",
        ),
        _row(
            "3c'",
            "code exchanges alone/s (1 worker) / (RSA-2048 signs/s / 2)",
            exchanges,
            rsa,
            "exchanges",
        ),
    ]
    out.bars += [
        Bar("rates", "auth code flows", flows.rate),
        Bar("rates", "auth code exchanges", exchanges.rate),
    ]
    return out
