"""Registration with an initial access token (AUTH_CLIENT_REGISTRATION=token): an
administrator makes the token (admin API or CLI); it registers up to its count of clients
before it expires; anything else is 401 `invalid_token`."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import assert_problem, sign_up
from tests.oidc_flow import ADMIN, admin_bearer
from tests.registration_helpers import (
    assert_refused,
    listed_clients,
    metadata,
    register,
    registration_token,
)

TOKEN_MODE = {**ADMIN, "client_registration": "token"}


@pytest.fixture
async def app(make_client):
    async with make_client(**TOKEN_MODE) as client:
        yield client


def assert_invalid_token(response) -> None:
    assert_problem(response, 401, "invalid_token")
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_without_a_token_registration_is_401(app) -> None:
    response = await register(app, metadata())
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert await listed_clients(app) == []


async def test_an_unknown_token_is_401_invalid_token(app) -> None:
    assert_invalid_token(await register(app, metadata(), token="made-up"))
    assert await listed_clients(app) == []


async def test_an_admins_token_registers_a_confidential_client_once(app, db) -> None:
    created = await registration_token(app)
    assert created["count"] == 1 and created["expires_at"]
    stored = await db.fetchval("SELECT token_hash FROM registration_tokens")
    assert created["token"] not in stored
    body = metadata(token_endpoint_auth_method=None)
    response = await register(app, body, token=created["token"])
    assert response.status_code == 201, response.text
    registered = response.json()
    assert registered["token_endpoint_auth_method"] == "client_secret_basic"
    assert len(registered["client_secret"]) >= 40
    assert registered["client_secret_expires_at"] == 0
    assert_invalid_token(await register(app, body, token=created["token"]))  # single use
    assert [c["client_id"] for c in await listed_clients(app)] == [registered["client_id"]]
    event = await db.fetchrow("SELECT * FROM audit_events WHERE event = 'client_registered'")
    assert event["actor"].startswith("registration-token:")
    assert event["subject"] == registered["client_id"]


async def test_a_token_with_a_count_registers_that_many_clients(app) -> None:
    token = (await registration_token(app, count=2))["token"]
    for _ in range(2):
        assert (await register(app, metadata(), token=token)).status_code == 201
    assert_invalid_token(await register(app, metadata(), token=token))
    assert len(await listed_clients(app)) == 2


async def test_simultaneous_registrations_with_one_token_make_its_count_of_clients(app) -> None:
    token = (await registration_token(app, count=3))["token"]
    answers = await asyncio.gather(*(register(app, metadata(), token=token) for _ in range(100)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 3 + [401] * 97, statuses
    for answer in answers:
        if answer.status_code == 401:
            assert_invalid_token(answer)
    assert len(await listed_clients(app)) == 3


async def test_a_refused_registration_does_not_spend_the_token(app) -> None:
    token = (await registration_token(app))["token"]
    refused = await register(app, metadata(grant_types=["client_credentials"]), token=token)
    assert_refused(refused, "invalid_client_metadata")
    assert (await register(app, metadata(), token=token)).status_code == 201


async def test_an_expired_token_is_401(app, clock) -> None:
    token = (await registration_token(app, expires_in=60))["token"]
    clock.advance(61)
    assert_invalid_token(await register(app, metadata(), token=token))


async def test_with_a_token_a_native_app_may_register_its_own_scheme(app) -> None:
    token = (await registration_token(app))["token"]
    body = metadata(redirect_uris=["com.example.notes:/callback"])
    response = await register(app, body, token=token)
    assert response.status_code == 201, response.text
    assert response.json()["redirect_uris"] == ["com.example.notes:/callback"]


async def test_a_token_never_makes_a_service_client(app) -> None:
    token = (await registration_token(app))["token"]
    refused = await register(app, metadata(grant_types=["client_credentials"]), token=token)
    assert_refused(refused, "invalid_client_metadata")
    assert await listed_clients(app) == []


async def test_only_an_administrator_makes_registration_tokens(app) -> None:
    user = await sign_up(app, "ann@example.org")
    path = "/api/auth/admin/registration-tokens"
    assert_problem(await app.post(path, json={}, headers=user.bearer), 403)
    assert_problem(await app.post(path, json={}), 401)


@pytest.mark.parametrize(
    "body", [{"count": 0}, {"count": 1001}, {"expires_in": 59}, {"expires_in": "x"}, {"x": 1}]
)
async def test_registration_token_requests_out_of_bounds_are_422(app, body) -> None:
    response = await app.post(
        "/api/auth/admin/registration-tokens", json=body, headers=await admin_bearer(app)
    )
    assert_problem(response, 422)
