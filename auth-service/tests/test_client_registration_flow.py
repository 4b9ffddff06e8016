"""A client that registered itself signs people in like any other, with the limits of a
stranger: the consent page every time it is new, only the scopes it registered, and a
refresh token only when the person allowed `offline_access`."""

from __future__ import annotations

import base64

import pytest

from tests.oidc_flow import (
    ADMIN,
    TOKEN,
    Flow,
    code_for,
    decide,
    exchange,
    person,
    start,
)
from tests.registration_helpers import metadata, register, registration_token

REFRESHING = {"grant_types": ["authorization_code", "refresh_token"]}


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN, client_registration="open") as client:
        yield client


async def _registered(app, **overrides) -> str:
    response = await register(app, metadata(**overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["client_id"])


async def test_a_registered_client_is_never_first_party_its_users_see_the_consent_page(
    app,
) -> None:
    client_id = await _registered(app, first_party=True)
    login = await person(app)
    answer = await decide(app, await start(app, Flow(client_id).params()), login)
    assert answer["action"] == "consent"
    assert answer["client"] == {"client_id": client_id, "name": "Notes app"}


async def test_a_registered_client_gets_only_the_scopes_it_registered(app) -> None:
    client_id = await _registered(app, scope="openid email")
    login = await person(app)
    flow = Flow(client_id, scope="openid profile email offline_access")
    code = (await code_for(app, flow, login))["code"]
    body = (await exchange(app, flow, code)).json()
    assert body["scope"] == "openid email"


async def test_a_registered_client_gets_a_refresh_token_only_with_offline_access(app) -> None:
    client_id = await _registered(app, **REFRESHING)
    login = await person(app)
    without = Flow(client_id, scope="openid email")
    code = (await code_for(app, without, login))["code"]
    body = (await exchange(app, without, code)).json()
    assert body["scope"] == "openid email" and "refresh_token" not in body
    offline = Flow(client_id, scope="openid email offline_access")
    request_id = await start(app, offline.params())
    assert (await decide(app, request_id, login))["action"] == "consent"  # a new scope
    code = (await code_for(app, offline, login))["code"]
    body = (await exchange(app, offline, code)).json()
    assert body["scope"] == "openid email offline_access" and body["refresh_token"]
    refreshed = await app.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": client_id,
        },
    )
    assert refreshed.status_code == 200, refreshed.text


async def test_a_confidential_registered_client_redeems_its_code_with_its_secret(
    make_client,
) -> None:
    async with make_client(**ADMIN, client_registration="token") as app:
        token = (await registration_token(app))["token"]
        response = await register(app, metadata(token_endpoint_auth_method=None), token=token)
        registered = response.json()
        flow = Flow(registered["client_id"])
        code = (await code_for(app, flow, await person(app)))["code"]
        unauthenticated = await exchange(app, flow, code)
        assert unauthenticated.status_code == 401, unauthenticated.text
        code = (await code_for(app, flow, await person(app, "bob@example.org")))["code"]
        pair = f"{registered['client_id']}:{registered['client_secret']}".encode()
        basic = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": registered["redirect_uris"][0],
            "code_verifier": flow.verifier,
        }
        redeemed = await app.post(TOKEN, data=data, headers=basic)
        assert redeemed.status_code == 200, redeemed.text
        assert redeemed.json()["id_token"]
