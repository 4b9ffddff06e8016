"""Parts of the system fail; the service fails closed and recovers by itself."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_service.migrations import upgrade
from devstack.ports import free_port
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer

from tests.helpers import PASSWORD, assert_problem, log_in, refresh, sign_up


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    with tempfile.TemporaryDirectory(prefix="gatehouse-drill-") as tmp:
        os.chmod(tmp, 0o755)  # noqa: S103 (postgres runs as nobody and must traverse it)
        server = Postgres(data_dir=Path(tmp), port=free_port(), durable=False)
        server.start()
        server.create_database("auth")
        upgrade(server.url("auth"))
        yield server
        server.stop()


async def test_redis_down_refresh_and_logout_fail_closed_login_goes_on(
    make_client, own_redis
) -> None:
    async with make_client(redis_url=own_redis.url()) as client:
        login = await sign_up(client, "ann@example.org")
        own_redis.stop()

        assert_problem(await refresh(client, login.refresh_token), 503, "unavailable")
        logout = await client.post(
            "/api/auth/logout",
            headers={"X-Requested-With": "x", "Cookie": f"refresh_token={login.refresh_token}"},
        )
        assert_problem(logout, 503, "unavailable")
        # Bearer endpoints cannot check the denylist either: refused, not accepted blindly.
        assert_problem(await client.get("/api/auth/me", headers=login.bearer), 503)
        assert_problem(await client.get("/api/auth/readyz"), 503, "not_ready")

        # Log-in still works, with the in-process limiter (halved limits: 10 -> 5).
        second = await log_in(client, "ann@example.org")
        statuses = [
            (
                await client.post(
                    "/api/auth/login", json={"email": "ann@example.org", "password": "wrong-pw-1"}
                )
            ).status_code
            for _ in range(6)
        ]
        assert statuses == [401] * 5 + [429]

        own_redis.start()  # same port: Redis is back, without a restart of the service
        assert (await client.get("/api/auth/readyz")).status_code == 200
        rotated = await refresh(client, second.refresh_token)
        assert rotated.status_code == 200
        assert (await refresh(client, login.refresh_token)).status_code == 200


async def test_postgres_restart_gives_503_then_recovers_by_itself(
    make_client, own_postgres
) -> None:
    async with make_client(database_url=own_postgres.url("auth")) as client:
        login = await sign_up(client, "ann@example.org")
        own_postgres.stop()
        body = {"email": "bob@example.org", "password": PASSWORD}
        assert_problem(await client.post("/api/auth/signup", json=body), 503, "unavailable")
        assert_problem(await refresh(client, login.refresh_token), 503)
        ready = assert_problem(await client.get("/api/auth/readyz"), 503, "not_ready")
        assert ready["checks"]["database"] == "unavailable"

        own_postgres.start()
        assert (await client.get("/api/auth/readyz")).status_code == 200
        assert (await client.post("/api/auth/signup", json=body)).status_code == 201
        assert (await refresh(client, login.refresh_token)).status_code == 200
        # Nothing stored before the outage was lost.
        await log_in(client, "ann@example.org")


async def test_a_restart_of_the_auth_service_loses_no_user_session_or_key(make_client) -> None:
    async with make_client() as client:
        login = await sign_up(client, "ann@example.org")
    async with make_client() as restarted:
        assert (await restarted.get("/api/auth/me", headers=login.bearer)).status_code == 200
        assert (await refresh(restarted, login.refresh_token)).status_code == 200
        await log_in(restarted, "ann@example.org")


async def test_the_first_requests_after_a_redis_restart_get_their_normal_answer(
    make_client, own_redis
) -> None:
    async with make_client(redis_url=own_redis.url()) as client:
        login = await sign_up(client, "ann@example.org")
        # Pooled connections to this Redis process, idle and looking healthy.
        assert (await client.get("/api/auth/me", headers=login.bearer)).status_code == 200

        own_redis.stop()
        own_redis.start()  # a restart on the same port, with no request in between

        assert (await client.get("/api/auth/me", headers=login.bearer)).status_code == 200
        logout_all = await client.post("/api/auth/logout-all", headers=login.bearer)
        assert logout_all.status_code == 204
        assert (await refresh(client, login.refresh_token)).status_code == 401
