"""Open dynamic client registration (AUTH_CLIENT_REGISTRATION=open): anyone may register,
but only a public client at https or loopback redirect URIs, limited per address; and
with registration off (the default) the endpoint is not there."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem
from tests.oidc_flow import ADMIN, ISSUER, REDIRECT, admin_bearer
from tests.registration_helpers import (
    REGISTER,
    assert_refused,
    listed_clients,
    metadata,
    register,
)

OPEN = {**ADMIN, "client_registration": "open"}


@pytest.fixture
async def app(make_client):
    async with make_client(**OPEN) as client:
        yield client


async def test_with_registration_off_the_endpoint_is_404_and_not_in_discovery(
    make_client,
) -> None:
    async with make_client(**ADMIN) as client:
        assert_problem(await register(client, metadata()), 404)
        doc = (await client.get("/api/auth/.well-known/openid-configuration")).json()
        assert "registration_endpoint" not in doc
        assert await listed_clients(client) == []


async def test_discovery_names_the_registration_endpoint_when_registration_is_on(app) -> None:
    doc = (await app.get("/api/auth/.well-known/openid-configuration")).json()
    assert doc["registration_endpoint"] == f"{ISSUER}/oauth/register"


async def test_anyone_registers_a_public_client_listed_and_deletable_by_the_admin(app, db) -> None:
    response = await register(app, metadata(post_logout_redirect_uris=["https://notes.example/"]))
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert body["client_id"].startswith("app_") and isinstance(body["client_id_issued_at"], int)
    assert body["client_name"] == "Notes app"
    assert body["redirect_uris"] == [REDIRECT]
    assert body["post_logout_redirect_uris"] == ["https://notes.example/"]
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "none"
    assert body["scope"] == "openid profile email"
    (listed,) = await listed_clients(app)
    assert listed["client_id"] == body["client_id"]
    assert listed["dynamically_registered"] is True and listed["first_party"] is False
    event = await db.fetchrow("SELECT * FROM audit_events WHERE event = 'client_registered'")
    assert event["subject"] == body["client_id"] and event["actor"] == "registration:open"
    assert event["ip_address"]
    headers = await admin_bearer(app)
    deleted = await app.delete(f"/api/auth/admin/clients/{body['client_id']}", headers=headers)
    assert deleted.status_code == 204
    assert await listed_clients(app) == []


async def test_open_registration_defaults_to_a_public_client(app) -> None:
    response = await register(app, metadata(token_endpoint_auth_method=None))
    assert response.status_code == 201, response.text
    assert response.json()["token_endpoint_auth_method"] == "none"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"token_endpoint_auth_method": "client_secret_basic"}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "client_secret_post"}, "invalid_client_metadata"),
        ({"redirect_uris": ["http://notes.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["com.example.notes:/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://notes.example/cb#x"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://127.0.0.1@evil.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://notes.example/cb"}, "invalid_redirect_uri"),
        ({"post_logout_redirect_uris": ["com.example.notes:/bye"]}, "invalid_client_metadata"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"grant_types": ["authorization_code", "client_credentials"]}, "invalid_client_metadata"),
        ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
        ({"grant_types": ["refresh_token"]}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"scope": "openid admin"}, "invalid_client_metadata"),
        ({"scope": "openid stats:read"}, "invalid_client_metadata"),
        (
            {"grant_types": ["authorization_code", "refresh_token"], "scope": "openid"},
            "invalid_client_metadata",
        ),
        ({"client_name": ""}, "invalid_client_metadata"),
        ({"client_name": 7}, "invalid_client_metadata"),
    ],
)
async def test_open_registration_refuses_what_it_must_not_register(app, overrides, error) -> None:
    assert_refused(await register(app, metadata(**overrides)), error)
    assert await listed_clients(app) == []


async def test_open_registration_accepts_loopback_and_https_redirect_uris(app) -> None:
    uris = [
        "https://notes.example/cb",
        "http://127.0.0.1:8123/cb",
        "http://[::1]/cb",
        "http://localhost:9000/cb",
    ]
    response = await register(app, metadata(redirect_uris=uris))
    assert response.status_code == 201, response.text
    assert response.json()["redirect_uris"] == uris


@pytest.mark.parametrize("body", [b"not json", b"[]", b'"x"', b"\xff\xfe"])
async def test_a_body_that_is_not_a_json_object_is_invalid_client_metadata(app, body) -> None:
    response = await app.post(REGISTER, content=body, headers={"content-type": "application/json"})
    assert_refused(response, "invalid_client_metadata")


async def test_unknown_metadata_is_ignored_and_first_party_cannot_be_asked_for(app) -> None:
    response = await register(app, metadata(first_party=True, logo_uri="https://x.example/l"))
    assert response.status_code == 201, response.text
    assert "first_party" not in response.json() and "logo_uri" not in response.json()
    (listed,) = await listed_clients(app)
    assert listed["first_party"] is False


async def test_open_registration_is_limited_per_client_address(make_client) -> None:
    async with make_client(**OPEN, client_registrations_per_ip=2) as app:
        here = {"X-Forwarded-For": "203.0.113.7"}
        # Refused attempts count too: a flood of bad requests is still a flood.
        assert_refused(await register(app, {"redirect_uris": []}, **here), "invalid_redirect_uri")
        assert (await register(app, metadata(), **here)).status_code == 201
        limited = await register(app, metadata(), **here)
        body = assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) > 0 and body["detail"]
        elsewhere = await register(app, metadata(), **{"X-Forwarded-For": "198.51.100.9"})
        assert elsewhere.status_code == 201, elsewhere.text
        assert len(await listed_clients(app)) == 2
