"""Log-in under abuse: bursts, parallel guesses, lock-out attempts, IPv6 neighbours."""

from __future__ import annotations

import asyncio
import collections

from tests.helpers import PASSWORD, assert_problem, log_in, registry, sign_up

WRONG = "wrong-pass-1"


def _wrong(client, email: str, address: str, password: str = WRONG):
    return client.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


def _record_delays(client) -> list[float]:
    """The limiter's clock, replaced: delays are recorded instead of waited."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    registry(client).limiter.sleep = sleep
    return delays


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
    ctx = registry(client)
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
        engine = registry(client).engine
        async with engine.connect() as first, engine.connect() as second:  # 1 + 1 overflow
            await first.exec_driver_sql("SELECT 1")
            await second.exec_driver_sql("SELECT 1")
            response = await _wrong(client, "ann@example.org", "192.0.2.1")
            body = assert_problem(response, 503, "overloaded")
            assert int(response.headers["retry-after"]) >= 1
            assert "Traceback" not in body["detail"]
        # Connections back in the pool: served again.
        assert (await _wrong(client, "ann@example.org", "192.0.2.1")).status_code == 401


async def test_simultaneous_guesses_cannot_outrun_the_limit(make_client) -> None:
    async with make_client(login_max_failures_per_account=3) as client:
        await sign_up(client, "ann@example.org")
        verified: list[str] = []
        context = registry(client).hasher._context
        original = context.verify_and_update

        def counting(secret, stored):
            verified.append(secret)
            return original(secret, stored)

        context.verify_and_update = counting
        responses = await asyncio.gather(
            *(_wrong(client, "ann@example.org", "203.0.113.7", f"guess-{n}-xyz") for n in range(20))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 3 + [429] * 17
    assert len(verified) == 3


async def test_a_stranger_cannot_lock_the_owner_out(make_client) -> None:
    async with make_client(login_max_failures_per_account=3) as client:
        await sign_up(client, "ann@example.org")
        _record_delays(client)
        for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"):
            for _ in range(3):
                assert (await _wrong(client, "ann@example.org", address)).status_code == 401
            # The hard limit holds for the address that failed: even the right password.
            assert_problem(await _wrong(client, "ann@example.org", address, PASSWORD), 429)
        # The owner, from anywhere else, still gets in.
        await log_in(client, "ann@example.org", **{"X-Forwarded-For": "192.0.2.10"})
        await log_in(client, "ann@example.org", **{"X-Forwarded-For": "192.0.2.11"})


async def test_failures_on_an_account_delay_later_attempts_by_a_growing_bounded_time(
    make_client,
) -> None:
    async with make_client(login_delay_after_failures=4, login_max_delay=5) as client:
        await sign_up(client, "ann@example.org")
        delays = _record_delays(client)
        for index in range(8):  # from eight addresses: no address reaches its own limit
            response = await _wrong(client, "ann@example.org", f"203.0.113.{index}")
            assert response.status_code == 401
        assert delays == [1, 2, 4, 5]
        # The right password from a new address waits as long, then succeeds.
        await log_in(client, "ann@example.org", **{"X-Forwarded-For": "192.0.2.10"})
        assert delays == [1, 2, 4, 5, 5]
        # Other accounts are not slowed down.
        await sign_up(client, "bob@example.org")
        await log_in(client, "bob@example.org")
        assert len(delays) == 5


async def test_addresses_in_one_ipv6_64_count_as_one_address(make_client) -> None:
    async with make_client(login_max_failures_per_ip=3) as client:
        for index in range(3):
            response = await _wrong(client, f"u{index}@example.org", f"2001:db8:1:2::{index + 1}")
            assert response.status_code == 401
        neighbour = await _wrong(client, "new@example.org", "2001:db8:1:2:ffff:ffff:ffff:9")
        assert_problem(neighbour, 429, "rate_limited")
        elsewhere = await _wrong(client, "new@example.org", "2001:db8:1:3::1")
        assert elsewhere.status_code == 401


async def test_ipv4_mapped_ipv6_addresses_count_as_the_ipv4_address(make_client) -> None:
    async with make_client(login_max_failures_per_ip=2) as client:
        for index in range(2):
            await _wrong(client, f"u{index}@example.org", "203.0.113.9")
        assert_problem(await _wrong(client, "x@example.org", "::ffff:203.0.113.9"), 429)
