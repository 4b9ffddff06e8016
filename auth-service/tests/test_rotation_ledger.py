"""PostgreSQL holds the rotation truth: Redis may lose every key without changing an answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from auth_service.tokens.refresh import jti_hash
from devstack.ports import free_port
from devstack.redis_server import RedisServer

from tests.helpers import (
    PASSWORD,
    assert_problem,
    jwt_parts,
    log_in,
    refresh,
    refresh_cookie_of,
    registry,
    sign_up,
)

GRACE = 10.0  # seconds; the tests pass it by advancing the clock


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer(port=free_port())  # no data folder: no append-only file
    server.start()
    yield server
    server.stop()


async def _assert_reuse_ends_the_session(client, db, spent: str, successor: str, bearer) -> None:
    assert_problem(await refresh(client, spent), 401, "refresh_token_reused")
    assert_problem(await refresh(client, successor), 401, "invalid_refresh_token")
    assert_problem(await client.get("/api/auth/me", headers=bearer), 401, "invalid_token")
    row = await db.fetchrow("SELECT revoked_at, revoked_reason FROM sessions")
    assert row["revoked_at"] is not None and row["revoked_reason"] == "reuse"


async def test_spent_token_after_flushall_is_reuse_and_ends_the_session(
    make_client, db, clock
) -> None:
    async with make_client(refresh_reuse_grace=GRACE) as client:
        login = await sign_up(client, "ann@example.org")
        rotated = await refresh(client, login.refresh_token)
        successor = refresh_cookie_of(rotated)
        bearer = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
        clock.advance(GRACE * 2)
        await registry(client).redis.flushall()
        await _assert_reuse_ends_the_session(client, db, login.refresh_token, successor, bearer)


async def test_spent_token_after_a_redis_restart_without_aof_is_reuse(
    make_client, db, own_redis, clock
) -> None:
    async with make_client(refresh_reuse_grace=GRACE, redis_url=own_redis.url()) as client:
        login = await sign_up(client, "ann@example.org")
        rotated = await refresh(client, login.refresh_token)
        successor = refresh_cookie_of(rotated)
        bearer = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
        clock.advance(GRACE * 2)
        own_redis.stop()
        own_redis.start()  # same port, empty: it kept nothing
        # The pool's old connections are dead: the first probe may see that (503) and reconnect.
        ready = [(await client.get("/api/auth/readyz")).status_code for _ in range(2)]
        assert ready[-1] == 200
        assert await registry(client).redis.dbsize() == 0
        await _assert_reuse_ends_the_session(client, db, login.refresh_token, successor, bearer)


async def test_grace_replay_after_flushall_gets_the_same_successor(client) -> None:
    login = await sign_up(client, "ann@example.org")
    first = refresh_cookie_of(await refresh(client, login.refresh_token))
    await registry(client).redis.flushall()
    again = await refresh(client, login.refresh_token)
    assert again.status_code == 200
    assert refresh_cookie_of(again) == first
    assert (await refresh(client, first)).status_code == 200


async def test_redis_flushed_mid_race_still_gives_one_successor(client) -> None:
    login = await sign_up(client, "ann@example.org")
    redis = registry(client).redis
    racers = [refresh(client, login.refresh_token) for _ in range(12)]
    racers.insert(6, redis.flushall())
    racers += [refresh(client, login.refresh_token) for _ in range(12)]
    results = await asyncio.gather(*racers)
    responses = [r for r in results if not isinstance(r, bool)]
    assert [r.status_code for r in responses] == [200] * 24
    successors = {refresh_cookie_of(r) for r in responses}
    assert len(successors) == 1
    assert (await refresh(client, successors.pop())).status_code == 200


async def test_a_successor_spent_and_replayed_in_grace_gives_its_own_successor(client) -> None:
    login = await sign_up(client, "ann@example.org")
    second = refresh_cookie_of(await refresh(client, login.refresh_token))
    third = refresh_cookie_of(await refresh(client, second))
    await registry(client).redis.flushall()
    assert refresh_cookie_of(await refresh(client, second)) == third


async def test_a_hundred_simultaneous_reuse_detections_leave_the_service_serving(
    make_client, clock
) -> None:
    # The test pool holds 5 (+5 overflow) connections: far fewer than the requests.
    async with make_client(refresh_reuse_grace=GRACE) as client:
        await sign_up(client, "ann@example.org")
        logins = [await log_in(client, "ann@example.org") for _ in range(20)]
        spent = []
        for login in logins:
            await refresh(client, login.refresh_token)
            spent.append(login.refresh_token)
        clock.advance(GRACE * 2)
        replays = [refresh(client, token) for token in spent for _ in range(5)]
        beside = [
            client.get("/api/auth/healthz"),
            client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD}),
        ]
        *answers, health, login = await asyncio.gather(*replays, *beside)
        assert sorted({r.status_code for r in answers}) == [401]
        codes = {r.json()["code"] for r in answers}
        assert "refresh_token_reused" in codes and codes <= {
            "refresh_token_reused",
            "invalid_refresh_token",
        }
        assert health.status_code == 200 and login.status_code == 200
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        sessions = await client.get("/api/auth/sessions", headers=bearer)
        assert len(sessions.json()) == 2  # the sign-up's and this log-in's; the rest ended


async def test_a_session_of_before_the_ledger_adopts_its_first_refreshed_token(
    make_client, db, clock
) -> None:
    async with make_client(refresh_reuse_grace=GRACE) as client:
        login = await sign_up(client, "ann@example.org")
        await db.execute("UPDATE sessions SET current_jti_hash = NULL")  # as revision 0003 left it
        rotated = await refresh(client, login.refresh_token)
        assert rotated.status_code == 200
        clock.advance(GRACE * 2)
        await registry(client).redis.flushall()
        assert_problem(await refresh(client, login.refresh_token), 401, "refresh_token_reused")


async def test_access_tokens_of_ended_sessions_stay_refused_after_redis_loses_its_data(
    client,
) -> None:
    first = await sign_up(client, "ann@example.org")
    second = await log_in(client, "ann@example.org")
    third = await log_in(client, "ann@example.org")
    first_sid = jwt_parts(first.access_token)[1]["sid"]
    revoked = await client.delete(f"/api/auth/sessions/{first_sid}", headers=third.bearer)
    assert revoked.status_code == 204
    logout = await client.post(
        "/api/auth/logout",
        headers={"X-Requested-With": "fetch", "Cookie": f"refresh_token={second.refresh_token}"},
    )
    assert logout.status_code == 204
    await registry(client).redis.flushall()
    for ended in (first, second):
        assert_problem(await client.get("/api/auth/me", headers=ended.bearer), 401, "invalid_token")
    assert (await client.get("/api/auth/me", headers=third.bearer)).status_code == 200
    # Redis has its revoked marks back: the next answers come from it.
    assert await registry(client).ledger.is_revoked(first_sid) is True


async def test_rotations_leave_no_key_per_rotation_in_redis(client) -> None:
    """PostgreSQL decides a rotation: Redis' memory does not grow with the rotations (with
    `noeviction`, one key per rotation kept for the token's lifetime would fill it)."""
    login = await sign_up(client, "ann@example.org")
    redis = registry(client).redis
    token = refresh_cookie_of(await refresh(client, login.refresh_token))
    before = await redis.dbsize()
    for _ in range(20):
        token = refresh_cookie_of(await refresh(client, token))
    assert await redis.dbsize() == before


async def test_a_spent_mark_of_an_earlier_version_still_stops_a_session_without_a_ledger(
    make_client, db
) -> None:
    """A token spent under a version before 0004 (when Redis held the spent marks) must not
    be adopted by its session, which has no rotation ledger yet."""
    async with make_client(refresh_reuse_grace=GRACE) as client:
        login = await sign_up(client, "ann@example.org")
        await db.execute("UPDATE sessions SET current_jti_hash = NULL, previous_jti_hash = NULL")
        jti = jwt_parts(login.refresh_token)[1]["jti"]
        a_minute_ago_ms = int((time.time() - 60) * 1000)
        await registry(client).redis.set(
            f"gh:rt:spent:{jti_hash(jti)}", f"old-successor|{a_minute_ago_ms}", ex=600
        )
        assert_problem(await refresh(client, login.refresh_token), 401, "refresh_token_reused")
