"""Items 1 and 2: what verifying a token costs an authenticated GET (the resource service's
`/me` against its unauthenticated twin, with a repeated and with a new token each request),
against asking the auth service about every token. The resource service here follows the
revocation feed, as the stack's does (the feed's own cost, 1c, is `bench.items.revocation`)."""

from __future__ import annotations

import inspect

from auth_client import AuthClient

from bench import tokens
from bench.context import Context
from bench.items.common import ROUNDS, bearer, figures, say
from bench.measure import Load, interleaved, warm
from bench.report import Bar, Outcome, Row, ratio_row
from bench.whatif import WHAT_IF_ROUNDS, py_spy

SAME_TOKEN_TARGET = 0.92
NEW_TOKEN_TARGET = 0.70


def authenticated_get_vs_unauthenticated_twin(ctx: Context) -> Outcome:
    rb = ctx.resource_bench
    base, pid = ctx.url(rb), rb.pid
    cache_size = inspect.signature(AuthClient).parameters["token_cache_size"].default
    count = int(cache_size * 1.1)
    say(
        f"minting {count:,} access tokens with the auth service's key "
        f"(more than the {cache_size:,} the verified-token cache holds) ..."
    )
    token_file = ctx.log_dir / "access-tokens.txt"
    out = Outcome()
    out.details["distinct tokens for 1b"] = tokens.mint_like(
        ctx.stack.service_env(), ctx.access_token, count, token_file
    )
    same, metrics = bearer(ctx.access_token), f"{base}/metrics"
    loads = [
        Load("twin", f"{base}/api/resource/bench/anonymous", (pid,)),
        Load("me-same", f"{base}/api/resource/me", (pid,), headers=same, metrics_url=metrics),
        Load(
            "me-new",
            f"{base}/api/resource/me",
            (pid,),
            script="tokens",
            args=(str(token_file), str(ctx.log_dir / "token-position")),
            metrics_url=metrics,
        ),
        Load(
            "introspected",
            f"{base}/api/resource/bench/introspected-me",
            (pid, ctx.auth_bench.pid),
            headers=same,
        ),
    ]
    say("1, 2: resource service GET /me vs its unauthenticated twin, vs introspection ...")
    warm(loads)
    m = interleaved(loads, rounds=ROUNDS, seconds=ctx.seconds / ROUNDS)
    for key, label in (
        ("twin", "resource: unauthenticated twin of /me"),
        ("me-same", "resource: GET /me, same token"),
        ("me-new", "resource: GET /me, new token each request"),
        ("introspected", "resource: GET /me asking the auth service"),
    ):
        out.details[label] = figures(m[key], ctx.pids)
    cpu = {key: value.cpu_us_per_request for key, value in m.items()}
    rate = {key: value.rate for key, value in m.items()}
    same_row = ratio_row(
        "1a",
        "GET /me (same token) / unauthenticated twin",
        rate["me-same"],
        rate["twin"],
        "req/s",
        SAME_TOKEN_TARGET,
        cpu=(cpu["me-same"], cpu["twin"]),
    )
    new_row = ratio_row(
        "1b",
        "GET /me (new token each) / unauthenticated twin",
        rate["me-new"],
        rate["twin"],
        "req/s",
        NEW_TOKEN_TARGET,
        cpu=(cpu["me-new"], cpu["twin"]),
    )
    out.rows += [
        same_row,
        new_row,
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
        out.bars.append(Bar("rates", label, m[key].rate, kind))
    if ctx.profile and not (same_row.met and new_row.met):
        _explain(ctx, loads, out, profile_new=not new_row.met)
    return out


def _explain(ctx: Context, loads: list[Load], out: Outcome, *, profile_new: bool) -> None:
    """The profile of `/me`, and /me answered by a plain ASGI check (no FastAPI dependency,
    no response model: what FastAPI's machinery costs), with the same token and with a new
    token each request (what is left of 1b once the dependency is gone)."""
    twin, same, new = loads[0], loads[1], loads[2]
    rb = ctx.resource_bench
    for load, name in ((same, "resource GET /me, same token (1a)"),) + (
        ((new, "resource GET /me, new token each (1b)"),) if profile_new else ()
    ):
        found = py_spy(ctx, name, load, rb.pid)
        if found is not None:
            out.profiles.append(found)
    say("what-if: the same check without FastAPI's dependency machinery ...")
    plain = f"{ctx.url(rb)}/api/resource/bench/me-plain"
    # The new-token loads share one position in the token file: each request's token was
    # last verified 1.1 cache sizes of requests ago, so it is never a cache hit.
    variants = [
        Load("me-plain", plain, (rb.pid,), headers=same.headers),
        Load("me-plain-new", plain, (rb.pid,), script=new.script, args=new.args),
    ]
    w_loads = [twin, same, new, *variants]
    warm(w_loads)
    w = interleaved(w_loads, rounds=WHAT_IF_ROUNDS, seconds=ctx.seconds / ROUNDS)
    cpu = {key: value.cpu_us_per_request for key, value in w.items()}
    out.details["what-if 1a, 1b: /me without FastAPI's dependencies"] = {
        "requests_per_second": {key: round(value.rate) for key, value in w.items()},
        "cpu_us_per_request": {key: round(value) for key, value in cpu.items()},
    }
    for row, key, shipped, target, what in (
        (
            "1a*",
            "me-plain",
            "me-same",
            SAME_TOKEN_TARGET,
            "what-if: /me (same token) as a plain Starlette endpoint / twin",
        ),
        (
            "1b*",
            "me-plain-new",
            "me-new",
            NEW_TOKEN_TARGET,
            "what-if: /me (new token each) as a plain Starlette endpoint / twin",
        ),
    ):
        value = w[key].rate / w["twin"].rate
        out.rows.append(
            Row(
                row,
                what,
                f"{w[key].rate:,.0f} / {w['twin'].rate:,.0f} req/s "
                f"(as shipped: {w[shipped].rate / w['twin'].rate:.2f})",
                value,
                f"{value:.2f}",
                f"(>= {target:.2f})",
                by_cpu=f"{cpu['twin'] / cpu[key]:.2f}",
            )
        )
