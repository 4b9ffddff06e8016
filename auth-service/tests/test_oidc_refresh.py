from __future__ import annotations

import pytest

from tests.feed_helpers import feed_reader, kinds
from tests.helpers import jwt_parts, refresh
from tests.oidc_flow import ADMIN, TOKEN, Flow, code_for, exchange, person, register_app


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


async def _tokens(app, **options):
    created = await register_app(app, first_party=True, **options)
    login = await person(app)
    flow = Flow(created["client_id"])
    code = (await code_for(app, flow, login))["code"]
    body = (await exchange(app, flow, code)).json()
    return created, body, login


async def _refresh(app, client_id: str, token: str):
    data = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
    return await app.post(TOKEN, data=data)


async def test_an_apps_refresh_token_rotates_in_the_body_and_keeps_client_and_scope(app) -> None:
    created, body, _ = await _tokens(app)
    rotated = await _refresh(app, created["client_id"], body["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["refresh_token"] != body["refresh_token"] and new["scope"] == "openid email"
    claims = jwt_parts(new["access_token"])[1]
    assert claims["client_id"] == created["client_id"] and claims["scope"] == "openid email"
    # A replay inside the grace gets the same successor, not a wiped family.
    replay = await _refresh(app, created["client_id"], body["refresh_token"])
    assert replay.status_code == 200 and replay.json()["refresh_token"] == new["refresh_token"]


async def test_a_reused_refresh_token_after_the_grace_ends_the_family(make_client, clock) -> None:
    async with make_client(**ADMIN, refresh_reuse_grace=0) as app:
        created, body, _ = await _tokens(app)
        first = await _refresh(app, created["client_id"], body["refresh_token"])
        assert first.status_code == 200
        clock.advance(1)
        reused = await _refresh(app, created["client_id"], body["refresh_token"])
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        ended = await _refresh(app, created["client_id"], first.json()["refresh_token"])
        assert ended.json()["error"] == "invalid_grant"


async def test_an_apps_refresh_token_works_neither_for_another_client_nor_the_browser(
    app,
) -> None:
    created, body, _ = await _tokens(app)
    other = await register_app(app, first_party=True)
    refused = await _refresh(app, other["client_id"], body["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    assert (await refresh(app, body["refresh_token"])).status_code == 401
    # Neither attempt ended the family: its own client still refreshes.
    assert (await _refresh(app, created["client_id"], body["refresh_token"])).status_code == 200


async def test_a_client_without_the_refresh_grant_gets_no_refresh_token(app) -> None:
    _, body, _ = await _tokens(app, grant_types=["authorization_code"])
    assert "refresh_token" not in body


async def test_withdrawing_a_grant_stops_its_tokens_and_lists_it_no_more(app) -> None:
    created, body, login = await _tokens(app)
    listed = (await app.get("/api/auth/grants", headers=login.bearer)).json()
    assert [grant["client_id"] for grant in listed] == [created["client_id"]]
    assert listed[0]["name"] == "Notes app"
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    removed = await app.delete(f"/api/auth/grants/{created['client_id']}", headers=login.bearer)
    assert removed.status_code == 204
    assert (await app.get("/api/auth/grants", headers=login.bearer)).json() == []
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await app.get("/api/auth/oauth/userinfo", headers=bearer)).status_code == 401
    refused = await _refresh(app, created["client_id"], body["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    sid = jwt_parts(body["access_token"])[1]["sid"]
    assert ("session", sid) in kinds(await reader.after(cursor))  # every resource server
    again = await app.delete(f"/api/auth/grants/{created['client_id']}", headers=login.bearer)
    assert again.status_code == 404
