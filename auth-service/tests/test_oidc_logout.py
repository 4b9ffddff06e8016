from __future__ import annotations

import pytest

from tests.helpers import refresh
from tests.oidc_flow import ADMIN, Flow, code_for, exchange, person, register_app

LOGOUT = "/api/auth/oauth/logout"
AFTER = "http://127.0.0.1:9999/bye"


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


async def _id_token(app):
    created = await register_app(app, first_party=True, post_logout_redirect_uris=[AFTER])
    login = await person(app)
    flow = Flow(created["client_id"])
    code = (await code_for(app, flow, login))["code"]
    return (await exchange(app, flow, code)).json()["id_token"], login


async def test_a_valid_hint_ends_the_gatehouse_session_and_redirects_with_state(app) -> None:
    id_token, login = await _id_token(app)
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": AFTER, "state": "s1"}
    response = await app.get(LOGOUT, params=params)
    assert response.status_code == 303
    assert response.headers["location"] == AFTER + "?state=s1"
    assert (await refresh(app, login.refresh_token)).status_code == 401


async def test_without_a_redirect_the_browser_goes_to_the_login_page(app) -> None:
    id_token, _ = await _id_token(app)
    response = await app.get(LOGOUT, params={"id_token_hint": id_token})
    assert response.headers["location"] == "http://localhost:8080/login"


async def test_an_unregistered_redirect_is_refused_on_gatehouses_page(app) -> None:
    id_token, login = await _id_token(app)
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example/"}
    response = await app.get(LOGOUT, params=params)
    assert response.status_code == 400 and "location" not in response.headers
    assert (await refresh(app, login.refresh_token)).status_code == 200


async def test_without_a_valid_hint_the_person_is_asked_first(app) -> None:
    for params in ({}, {"id_token_hint": "not.a.jwt", "post_logout_redirect_uri": AFTER}):
        response = await app.get(LOGOUT, params=params)
        assert response.status_code == 303
        assert response.headers["location"] == "http://localhost:8080/end-session"
