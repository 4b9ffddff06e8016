"""Who gets in: identity from the token, and the admin statistics' scope rules."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from auth_client import ClientCredentialsAuth
from auth_client.testing import LocalIssuer
from helpers import bearer, create_note

ME = "/api/resource/me"
STATS = "/api/resource/admin/stats"


async def test_me_shows_the_verified_identity_of_a_user(
    client: httpx.AsyncClient, issuer: LocalIssuer
) -> None:
    user_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
    token = issuer.mint(user_id, "openid email profile", sid=session_id, email="ada@example.com")

    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {
        "sub": user_id,
        "email": "ada@example.com",
        "scope": "email openid profile",
        "sid": session_id,
        "client_id": "gatehouse-web",
    }


@pytest.mark.parametrize(
    "claims",
    [{"aud": "another-service"}, {"iss": "http://elsewhere.example"}, {"exp": 1_000}],
)
async def test_a_token_not_meant_for_this_service_is_refused(
    client: httpx.AsyncClient, issuer: LocalIssuer, claims: dict[str, Any]
) -> None:
    response = await client.get(ME, headers=bearer(issuer.mint(**claims)))

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.json()["code"] == "invalid_token"


async def test_an_admin_reads_the_statistics(
    client: httpx.AsyncClient, issuer: LocalIssuer, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await create_note(client, alice)
    await create_note(client, alice)
    await create_note(client, bob)

    response = await client.get(STATS, headers=bearer(issuer.mint_user(scope="openid admin")))

    assert response.status_code == 200
    assert response.json() == {"note_count": 3, "owner_count": 2}


async def test_a_service_with_stats_read_reads_the_statistics_with_its_own_token(
    client: httpx.AsyncClient, issuer: LocalIssuer
) -> None:
    auth = ClientCredentialsAuth(
        *issuer.register_client(["stats:read"]), token_endpoint=issuer.token_endpoint
    )
    client.auth = auth

    responses = await asyncio.gather(*(client.get(STATS) for _ in range(5)))

    assert [response.status_code for response in responses] == [200] * 5


async def test_a_user_without_the_admin_scope_is_forbidden_the_statistics(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get(STATS, headers=alice)

    assert response.status_code == 403
    assert response.headers["www-authenticate"].endswith(
        'error="insufficient_scope", error_description="This needs the scope admin or '
        'stats:read", scope="admin stats:read"'
    )
    assert response.json()["code"] == "insufficient_scope"


async def test_a_service_without_stats_read_is_forbidden_the_statistics(
    client: httpx.AsyncClient, issuer: LocalIssuer
) -> None:
    client_id, _ = issuer.register_client(["notes:read"])
    token = issuer.mint(client_id, "notes:read", client_id=client_id)

    response = await client.get(STATS, headers=bearer(token))

    assert response.status_code == 403
