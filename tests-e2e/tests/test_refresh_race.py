"""Fifty refreshes of one refresh token at once, through the gateway: the session gets
exactly one successor (the first request spends the token, every other one inside the
grace window gets that same successor back), and the session goes on afterwards."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from tests_e2e.refresh import refresh_cookie_value, refresh_with
from tests_e2e.stacks import RunningStack, served_by, served_since

# Each test runs on one replica of each service, then on two of each (conftest).
pytestmark = pytest.mark.contract

PASSWORD = "a perfectly fine e2e passphrase"
RACERS = 50


async def test_fifty_parallel_refreshes_of_one_token_get_one_successor_and_the_session_lives(
    stack: RunningStack,
) -> None:
    served_before = served_by(stack, "/api/auth/refresh")
    limits = httpx.Limits(max_connections=RACERS)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30, limits=limits) as client:
        signup = await client.post(
            "/api/auth/signup",
            json={"email": f"race-{uuid.uuid4().hex[:12]}@gatehouse.example", "password": PASSWORD},
        )
        assert signup.status_code == 201, signup.text
        original = refresh_cookie_value(signup)
        client.cookies.clear()

        racers = await asyncio.gather(*(refresh_with(client, original) for _ in range(RACERS)))

        assert [r.status_code for r in racers] == [200] * RACERS, {r.status_code for r in racers}
        successors = {refresh_cookie_value(r) for r in racers}
        assert len(successors) == 1, f"{len(successors)} different successors"
        (successor,) = successors
        assert successor != original

        # The session lives on: its successor rotates, and its access tokens work everywhere.
        onward = await refresh_with(client, successor)
        assert onward.status_code == 200, onward.text
        access = {"Authorization": f"Bearer {onward.json()['access_token']}"}
        assert (await client.get("/api/resource/me", headers=access)).status_code == 200
        sessions = await client.get("/api/auth/sessions", headers=access)
        assert sessions.status_code == 200, sessions.text
        assert len(sessions.json()) == 1  # one session, not fifty forks
        for racer in racers:
            token = {"Authorization": f"Bearer {racer.json()['access_token']}"}
            assert (await client.get("/api/resource/me", headers=token)).status_code == 200
    # With replicas, the racers were spread over them: one successor came from both.
    served = served_since(stack, "/api/auth/refresh", served_before, RACERS + 1)
    replicas = stack.settings.replica_ports("auth")
    assert len(served) == len(replicas), served
