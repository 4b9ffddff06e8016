"""RFC 7009 revocation and RFC 7662 introspection, checked with Authlib's OAuth 2.0 client
as an independent implementation of both RFCs."""

from __future__ import annotations

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tests.feed_helpers import ADMIN, admin_bearer, basic, feed_reader, kinds, register
from tests.helpers import jwt_parts, sign_up

REVOKE = "http://localhost:8080/api/auth/oauth/revoke"
INTROSPECT = "http://localhost:8080/api/auth/oauth/introspect"


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


def _authlib(app: httpx.AsyncClient, registered: dict) -> AsyncOAuth2Client:
    transport = httpx.ASGITransport(app=app.app)  # type: ignore[attr-defined]
    return AsyncOAuth2Client(
        registered["client_id"], registered["client_secret"], transport=transport
    )


async def _token_of(oauth: AsyncOAuth2Client) -> str:
    token = await oauth.fetch_token(
        "http://localhost:8080/api/auth/oauth/token", grant_type="client_credentials"
    )
    return str(token["access_token"])


async def test_a_client_revokes_its_access_token_and_the_feed_names_it(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    registered = await register(app, await admin_bearer(app), ["stats:read"])
    async with _authlib(app, registered) as oauth:
        token = await _token_of(oauth)
        answer = await oauth.revoke_token(REVOKE, token=token, token_type_hint="access_token")
    assert answer.status_code == 200
    assert kinds(await reader.after(cursor)) == {("token", jwt_parts(token)[1]["jti"])}


async def test_revoking_an_unknown_or_someone_elses_token_answers_200_and_revokes_nothing(
    app,
) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    admin = await admin_bearer(app)
    mine, other = await register(app, admin, ["a"]), await register(app, admin, ["b"])
    async with _authlib(app, other) as other_oauth:
        others_token = await _token_of(other_oauth)
    user = await sign_up(app, "ann@example.org")
    async with _authlib(app, mine) as oauth:
        for token in ("not-a-token", others_token, user.access_token, user.refresh_token):
            answer = await oauth.revoke_token(REVOKE, token=token)
            assert answer.status_code == 200, answer.text
    assert (await reader.after(cursor))["entries"] == []


async def test_revocation_needs_client_authentication_and_a_token(app) -> None:
    answer = await app.post(REVOKE, data={"token": "x"}, headers={"Authorization": ""})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    registered = await register(app, await admin_bearer(app), ["a"])
    answer = await app.post(
        REVOKE, data={}, headers=basic(registered["client_id"], registered["client_secret"])
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    answer = await app.post(
        REVOKE,
        data={"token": "x"},
        headers=basic(registered["client_id"], "wrong"),
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


async def test_introspection_answers_the_claims_of_a_live_token(app) -> None:
    introspector = await register(app, await admin_bearer(app), ["introspect"])
    user = await sign_up(app, "ann@example.org")
    async with _authlib(app, introspector) as oauth:
        answer = await oauth.introspect_token(INTROSPECT, token=user.access_token)
    body = answer.json()
    claims = jwt_parts(user.access_token)[1]
    assert body["active"] is True and body["sub"] == claims["sub"] and body["sid"] == claims["sid"]
    assert body["username"] == "ann@example.org" and body["token_type"] == "Bearer"


async def test_introspection_says_inactive_for_anything_not_live(app) -> None:
    admin = await admin_bearer(app)
    introspector = await register(app, admin, ["introspect"])
    logged_out = await sign_up(app, "ann@example.org")
    await app.post(
        "/api/auth/logout",
        headers={
            "Cookie": f"refresh_token={logged_out.refresh_token}",
            "X-Requested-With": "fetch",
        },
    )
    everywhere = await sign_up(app, "bob@example.org")
    await app.post("/api/auth/logout-all", headers=everywhere.bearer)
    holder = await register(app, admin, ["stats:read"])
    async with _authlib(app, holder) as holder_oauth:
        revoked = await _token_of(holder_oauth)
        await holder_oauth.revoke_token(REVOKE, token=revoked)
        deleted = await _token_of(holder_oauth)
    await app.delete(f"/api/auth/admin/clients/{holder['client_id']}", headers=admin)
    forged = logged_out.access_token[:-4] + "AAAA"
    async with _authlib(app, introspector) as oauth:
        for token in (logged_out.access_token, everywhere.access_token, revoked, deleted, forged):
            answer = await oauth.introspect_token(INTROSPECT, token=token)
            assert answer.json() == {"active": False}, token


async def test_introspection_needs_the_introspect_scope(app) -> None:
    registered = await register(app, await admin_bearer(app), ["stats:read"])
    async with _authlib(app, registered) as oauth:
        answer = await oauth.introspect_token(INTROSPECT, token="x")
    assert answer.status_code == 403 and answer.json()["error"] == "insufficient_scope"


async def test_discovery_names_both_endpoints(app) -> None:
    document = (await app.get("/api/auth/.well-known/openid-configuration")).json()
    assert document["revocation_endpoint"] == REVOKE
    assert document["introspection_endpoint"] == INTROSPECT
    assert "client_secret_basic" in document["revocation_endpoint_auth_methods_supported"]
    assert "client_secret_basic" in document["introspection_endpoint_auth_methods_supported"]
