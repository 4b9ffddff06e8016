"""AUTH_BOOTSTRAP_CLIENT_*: a service client ensured at start-up (compose and Kubernetes
provision the resource service's revocation-feed client this way)."""

from __future__ import annotations

import pytest
from auth_service.errors import ValidationFailed
from pydantic import ValidationError

from tests.feed_helpers import FEED, basic

SECRET = "a" * 31 + "1"  # 32 characters, the least accepted
FEED_CLIENT = {"bootstrap_client_id": "resource-revocations", "bootstrap_client_secret": SECRET}


async def token_answer(client, client_id: str, secret: str):
    return await client.post(
        "/api/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(client_id, secret),
    )


async def test_the_bootstrap_client_reads_the_revocation_feed_with_its_configured_secret(
    make_client,
) -> None:
    async with make_client(**FEED_CLIENT) as client:
        answer = await token_answer(client, "resource-revocations", SECRET)
        assert answer.status_code == 200, answer.text
        assert answer.json()["scope"] == "revocations:read"
        bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        assert (await client.get(FEED, headers=bearer)).status_code == 200


async def test_restarts_keep_one_bootstrap_client_and_a_new_secret_replaces_the_old(
    make_client, db
) -> None:
    async with make_client(**FEED_CLIENT):
        pass
    async with make_client(**FEED_CLIENT):  # the same settings again: nothing changes
        pass
    assert await db.fetchval("SELECT count(*) FROM oauth_clients") == 1
    events = "SELECT array_agg(event ORDER BY id) FROM audit_events WHERE subject = $1"
    assert await db.fetchval(events, "resource-revocations") == ["client_created"]

    rotated = "b" * 64
    async with make_client(**{**FEED_CLIENT, "bootstrap_client_secret": rotated}) as client:
        refused = await token_answer(client, "resource-revocations", SECRET)
        assert refused.status_code == 401
        assert (await token_answer(client, "resource-revocations", rotated)).status_code == 200
    assert await db.fetchval(events, "resource-revocations") == [
        "client_created",
        "client_updated",
    ]


async def test_the_bootstrap_clients_scopes_follow_the_setting(make_client, db) -> None:
    async with make_client(**FEED_CLIENT, bootstrap_client_scopes="revocations:read,introspect"):
        pass
    async with make_client(**FEED_CLIENT, bootstrap_client_scopes="introspect"):
        pass
    scopes = "SELECT scopes FROM oauth_clients WHERE client_id = 'resource-revocations'"
    assert await db.fetchval(scopes) == ["introspect"]


async def test_a_bootstrap_client_may_not_hold_a_persons_scope(make_client, db) -> None:
    with pytest.raises(ValidationFailed):
        async with make_client(**FEED_CLIENT, bootstrap_client_scopes="admin"):
            pass
    assert await db.fetchval("SELECT count(*) FROM oauth_clients") == 0


@pytest.mark.parametrize("secret", [None, "", "short-secret"])
def test_a_bootstrap_client_needs_a_secret_of_32_characters(make_settings, secret) -> None:
    with pytest.raises(ValidationError, match="AUTH_BOOTSTRAP_CLIENT_SECRET"):
        make_settings(bootstrap_client_id="resource-revocations", bootstrap_client_secret=secret)


def test_no_bootstrap_client_when_its_id_is_empty(make_settings) -> None:
    assert (
        make_settings(bootstrap_client_id="", bootstrap_client_secret="").bootstrap_client_id
        is None
    )
