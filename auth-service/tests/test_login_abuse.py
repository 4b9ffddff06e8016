"""Log-in under abuse: bursts, parallel guesses, lock-out attempts, IPv6 neighbours."""

from __future__ import annotations

import asyncio
import collections

from tests.helpers import PASSWORD, assert_problem, log_in, sign_up

WRONG = "wrong-pass-1"


def _wrong(client, email: str, address: str, password: str = WRONG):
    return client.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_a_burst_of_failed_log_ins_gets_no_5xx_and_others_are_served_meanwhile(
    make_client, db
) -> None:
    # The test pool is 5 + 5 connections; before the fix 20 failed log-ins took all of it.
    async with make_client() as client:
        await sign_up(client, "ann@example.org")
        await sign_up(client, "bob@example.org")
        failed = [
            _wrong(client, email, f"198.51.{index // 250}.{index % 250}")
            for index, email in enumerate(
                ["ann@example.org"] * 5 + [f"nobody{n}@example.org" for n in range(95)]
            )
        ]
        beside = [
            client.post(
                "/api/auth/login",
                json={"email": "bob@example.org", "password": PASSWORD},
                headers={"X-Forwarded-For": "192.0.2.1"},
            ),
            client.get("/api/auth/healthz"),
            client.get("/api/auth/readyz"),
        ]
        *burst, login, health, ready = await asyncio.gather(*failed, *beside)
    statuses = [r.status_code for r in burst]
    assert statuses == [401] * 100, collections.Counter(statuses)
    assert login.status_code == 200 and "access_token" in login.json()
    assert health.status_code == 200 and ready.status_code == 200, ready.text
    recorded = await db.fetchval("SELECT count(*) FROM audit_events WHERE event = 'login_failed'")
    assert recorded == 100


async def test_no_database_connection_is_held_while_a_password_is_hashed(client) -> None:
    ctx = client.app.state.context
    context, pool = ctx.hasher._context, ctx.engine.pool
    held: list[int] = []

    def watching(name: str):
        original = getattr(context, name)

        def call(*args):
            held.append(pool.checkedout())
            return original(*args)

        setattr(context, name, call)

    for name in ("hash", "verify", "verify_and_update"):
        watching(name)
    await sign_up(client, "ann@example.org")
    await log_in(client, "ann@example.org")
    assert (await _wrong(client, "ann@example.org", "192.0.2.1")).status_code == 401
    assert (await _wrong(client, "zed@example.org", "192.0.2.1")).status_code == 401
    assert len(held) == 4
    assert held == [0, 0, 0, 0]


async def test_an_exhausted_database_pool_answers_503_with_retry_after(make_client) -> None:
    async with make_client(database_pool_size=1, database_pool_timeout=0.2) as client:
        engine = client.app.state.context.engine
        async with engine.connect() as first, engine.connect() as second:  # 1 + 1 overflow
            await first.exec_driver_sql("SELECT 1")
            await second.exec_driver_sql("SELECT 1")
            response = await _wrong(client, "ann@example.org", "192.0.2.1")
            body = assert_problem(response, 503, "overloaded")
            assert int(response.headers["retry-after"]) >= 1
            assert "Traceback" not in body["detail"]
        # Connections back in the pool: served again.
        assert (await _wrong(client, "ann@example.org", "192.0.2.1")).status_code == 401
