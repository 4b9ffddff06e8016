"""Item 7: GET /me side by side with fastapi-users (its own environment, same PostgreSQL);
its log-in half is measured with item 4's log-ins."""

from __future__ import annotations

import httpx

from bench.context import Context
from bench.items.common import ROUNDS, bearer, figures, say
from bench.measure import Load, interleaved, warm
from bench.report import Bar, Outcome, Row


def fastapi_users_me_side_by_side(ctx: Context) -> Outcome:
    out = Outcome()
    if ctx.fastapi_users is None:
        return out
    say("7: GET /me side by side with fastapi-users (its own environment, same PostgreSQL) ...")
    fu = ctx.fastapi_users
    base = ctx.url(fu)
    form = {"username": "bench-0@example.com", "password": "bench passphrase, long enough 0"}
    hs = httpx.post(f"{base}/auth/jwt/login", data=form, timeout=30).json()["access_token"]
    rs = httpx.post(f"{base}/rs/auth/jwt/login", data=form, timeout=30).json()["access_token"]
    ours = bearer(ctx.access_token)
    loads = [
        Load(
            "ours-resource",
            f"{ctx.resource}/api/resource/me",
            (ctx.pids["resource"],),
            headers=ours,
        ),
        Load("ours-auth", f"{ctx.auth}/api/auth/me", (ctx.pids["auth"],), headers=ours),
        Load("fu-hs256", f"{base}/users/me", (fu.pid,), headers=bearer(hs)),
        Load("fu-rs256", f"{base}/rs/users/me", (fu.pid,), headers=bearer(rs)),
    ]
    warm(loads)
    m = interleaved(loads, rounds=ROUNDS, seconds=ctx.seconds / ROUNDS)
    for key, label in (
        ("ours-resource", "Gatehouse resource: GET /api/resource/me (token only)"),
        ("ours-auth", "Gatehouse auth: GET /api/auth/me (token + session + user row)"),
        ("fu-hs256", "fastapi-users: GET /users/me, HS256 (default)"),
        ("fu-rs256", "fastapi-users: GET /users/me, RS256 (PEM key)"),
    ):
        out.details[label] = figures(m[key], ctx.pids)
    cpu = {key: value.cpu_us_per_request for key, value in m.items()}
    for key, what in (("ours-resource", "resource /me"), ("ours-auth", "auth /me (DB read)")):
        value = m[key].rate / m["fu-hs256"].rate
        out.rows.append(
            Row(
                "7",
                f"GET /me: Gatehouse {what} / fastapi-users (HS256)",
                f"{m[key].rate:,.0f} / {m['fu-hs256'].rate:,.0f} req/s",
                value,
                f"{value:.1f}x",
                by_cpu=f"{cpu['fu-hs256'] / cpu[key]:.1f}x",
            )
        )
    out.bars += [
        Bar("rates", "fastapi-users /users/me (HS256)", m["fu-hs256"].rate, "alternative"),
        Bar("rates", "fastapi-users /users/me (RS256)", m["fu-rs256"].rate, "alternative"),
        Bar("rates", "Gatehouse auth /me (DB read)", m["ours-auth"].rate),
    ]
    return out
