"""Fault drills on a whole stack, driven through the gateway: real processes stop and come
back while a client holds tokens, and the stack fails closed, keeps serving what it can,
and recovers by itself.

The same faults are drilled on the applications in-process by the services' own tests
(auth-service/tests/test_fault_drills.py: Redis down, PostgreSQL restart, restart of the
service; resource-service/tests/test_with_auth_service.py: the auth service down, keys
rotated under traffic). Here they hit the processes `make run` starts, so the gateway,
uvicorn, both connection pools and the launcher's own restart are part of the drill.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis
from devstack.postgres import Postgres
from devstack.processes import group_alive
from devstack.redis_server import RedisServer
from devstack.throwaway import UNLIMITED_GATEWAY_RATE
from tests_e2e.rotation import rotate_keys, user_traffic
from tests_e2e.stacks import RunningStack, boot_stack
from tests_e2e.waiting import wait_until

PASSWORD = "a perfectly fine e2e passphrase"
CSRF = {"X-Requested-With": "fetch"}
KEY_RELOAD_INTERVAL = 0.5
ROTATION_ACTIVATES_IN = 2.0
GRACE = 10.0  # AUTH_REFRESH_REUSE_GRACE's default

DRILL_ENV = {
    # Replicas pick up a rotated key within half a second, and the resource service may
    # refetch the JWKS for an unknown `kid` every second: the rotation drill fits in seconds.
    "AUTH_KEY_RELOAD_INTERVAL": str(KEY_RELOAD_INTERVAL),
    "RESOURCE_JWKS_REFETCH_INTERVAL": "1",
    # Steady traffic from one address: the gateway's per-address limit must not answer it.
    **UNLIMITED_GATEWAY_RATE,
}


class Drill:
    """The stack under drill, and the processes restarted during it (stopped at the end)."""

    def __init__(self, running: RunningStack) -> None:
        self.running = running
        self.restarted: list[int] = []

    @property
    def stack(self) -> RunningStack:
        return self.running

    def client(self) -> httpx.Client:
        return self.running.client()

    def stop_auth(self) -> None:
        self.running.stack.children["auth"].stop()

    def start_auth(self) -> None:
        child = self.running.stack.children["auth"]
        child.start(self.running.stack.sink)
        assert child.pid is not None
        self.restarted.append(child.pid)
        self.wait_ready("auth")

    def restart_server(self, server: Postgres | RedisServer, name: str) -> None:
        server.start(output=subprocess.PIPE)
        assert server.process is not None and server.process.stdout is not None
        self.running.stack.sink.pump(name, server.process.stdout)
        self.restarted.append(server.process.pid)

    def wait_ready(self, *services: str) -> None:
        with self.client() as http:
            for service in services:
                wait_until(
                    lambda s=service: http.get(f"/api/{s}/readyz").status_code == 200,
                    what=f"the {service} service to be ready again",
                    timeout=60,
                )

    def postgres(self) -> Postgres:
        assert self.running.stack.postgres is not None
        return self.running.stack.postgres

    def redis(self) -> RedisServer:
        assert self.running.stack.redis is not None
        return self.running.stack.redis


@pytest.fixture(scope="module")
def drill() -> Iterator[Drill]:
    running = boot_stack(DRILL_ENV, name="drills")
    drill = Drill(running)
    try:
        yield drill
    finally:
        leftovers = running.shutdown()
        assert leftovers == []
        assert [pid for pid in drill.restarted if group_alive(pid)] == []


def sign_up(http: httpx.Client) -> dict[str, str]:
    email = f"drill-{uuid.uuid4().hex[:12]}@gatehouse.example"
    response = http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}", "email": email}


def bearer_only(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": user["Authorization"]}


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_while_the_auth_service_is_down_the_resource_service_serves_valid_tokens(
    drill: Drill,
) -> None:
    with drill.client() as http:
        user = sign_up(http)
        assert http.get("/api/resource/me", headers=bearer_only(user)).status_code == 200
        drill.stop_auth()
        try:
            # 502 until the gateway's health check takes the stopped replica out, 503 after.
            assert http.get("/api/auth/me", headers=bearer_only(user)).status_code in (502, 503)
            me = http.get("/api/resource/me", headers=bearer_only(user))
            assert me.status_code == 200, me.text
            assert me.json()["email"] == user["email"]
            note = http.post(
                "/api/resource/notes", json={"title": "offline"}, headers=bearer_only(user)
            )
            assert note.status_code == 201, note.text
            listed = http.get("/api/resource/notes", headers=bearer_only(user))
            assert [n["id"] for n in listed.json()] == [note.json()["id"]]
        finally:
            drill.start_auth()


def test_a_restart_of_the_auth_service_keeps_users_sessions_and_keys(drill: Drill) -> None:
    with drill.client() as http:
        user = sign_up(http)
        keys_before = http.get("/api/auth/.well-known/jwks.json").json()["keys"]
        drill.stop_auth()
        drill.start_auth()

        assert http.get("/api/auth/.well-known/jwks.json").json()["keys"] == keys_before
        for path in ("/api/auth/me", "/api/resource/me"):
            assert http.get(path, headers=bearer_only(user)).status_code == 200, path
        refreshed = http.post("/api/auth/refresh", headers=CSRF)  # the cookie from before
        assert refreshed.status_code == 200, refreshed.text
        login = http.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD})
        assert login.status_code == 200, login.text


def test_with_redis_down_refresh_fails_closed_log_in_goes_on_and_all_recovers(
    drill: Drill,
) -> None:
    with drill.client() as http, drill.client() as other:
        user = sign_up(http)
        drill.redis().stop()
        try:
            assert_problem(http.post("/api/auth/refresh", headers=CSRF), 503)
            assert_problem(http.get("/api/auth/me", headers=bearer_only(user)), 503)
            assert_problem(http.get("/api/auth/readyz"), 503)
            # Log-in goes on (with an in-process limiter); the resource service needs no Redis.
            login = other.post(
                "/api/auth/login", json={"email": user["email"], "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            assert http.get("/api/resource/me", headers=bearer_only(user)).status_code == 200
        finally:
            drill.restart_server(drill.redis(), "redis")
        drill.wait_ready("auth")
        assert http.post("/api/auth/refresh", headers=CSRF).status_code == 200
        assert other.post("/api/auth/refresh", headers=CSRF).status_code == 200


def test_redis_losing_its_data_does_not_revive_a_spent_refresh_token(drill: Drill) -> None:
    # The stack's Redis keeps an append-only file: FLUSHALL empties it all the same, as a
    # failover to an empty replica would.
    with drill.client() as http:
        sign_up(http)
        spent = http.cookies["refresh_token"]
        rotated = http.post("/api/auth/refresh", headers=CSRF)
        assert rotated.status_code == 200, rotated.text
        successor = http.cookies["refresh_token"]
        time.sleep(GRACE + 0.5)
        with redis.Redis.from_url(drill.redis().url()) as store:
            store.flushall()
        for token, code in ((spent, "refresh_token_reused"), (successor, "invalid_refresh_token")):
            http.cookies.clear()
            http.cookies.set("refresh_token", token, path="/api/auth")
            answer = http.post("/api/auth/refresh", headers=CSRF)
            assert_problem(answer, 401)
            assert answer.json()["code"] == code


def test_while_postgres_restarts_both_services_answer_503_and_recover_by_themselves(
    drill: Drill,
) -> None:
    with drill.client() as http:
        user = sign_up(http)
        kept = http.post("/api/resource/notes", json={"title": "kept"}, headers=bearer_only(user))
        assert kept.status_code == 201, kept.text
        drill.postgres().stop()
        try:
            newcomer = {
                "email": f"late-{uuid.uuid4().hex[:8]}@gatehouse.example",
                "password": PASSWORD,
            }
            assert_problem(http.post("/api/auth/signup", json=newcomer), 503)
            notes = http.get("/api/resource/notes", headers=bearer_only(user))
            assert_problem(notes, 503)
            for service in ("auth", "resource"):
                assert_problem(http.get(f"/api/{service}/readyz"), 503)
        finally:
            drill.restart_server(drill.postgres(), "postgres")
        drill.wait_ready("auth", "resource")

        assert http.post("/api/auth/signup", json=newcomer).status_code == 201
        listed = http.get("/api/resource/notes", headers=bearer_only(user))
        assert listed.status_code == 200, listed.text
        assert [n["title"] for n in listed.json()] == ["kept"]
        assert http.post("/api/auth/refresh", headers=CSRF).status_code == 200


async def test_keys_rotated_while_traffic_flows_through_the_gateway_cause_no_401(
    drill: Drill,
) -> None:
    async with user_traffic(drill.running, users=4) as traffic:
        await asyncio.sleep(1)
        for _ in range(2):
            await asyncio.to_thread(rotate_keys, drill.running, ROTATION_ACTIVATES_IN)
            # The new key signs, every replica has reloaded, and tokens it signed flow.
            await asyncio.sleep(ROTATION_ACTIVATES_IN + 3 * KEY_RELOAD_INTERVAL + 1)

    assert len(traffic.kids) >= 3, traffic.kids  # the first key and both rotated-in keys
    statuses = traffic.statuses
    assert sum(statuses.values()) > 100
    assert dict(statuses) == {200: sum(statuses.values())}
