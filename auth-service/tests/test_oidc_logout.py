from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import assert_problem, refresh, registry
from tests.oidc_flow import ADMIN, Flow, code_for, exchange, person, register_app

LOGOUT = "/api/auth/oauth/logout"
AFTER = "http://127.0.0.1:9999/bye"
END_SESSION = "http://localhost:8080/end-session"


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
    created = await register_app(app, post_logout_redirect_uris=[AFTER])
    for params in (
        {},
        {"id_token_hint": "not.a.jwt", "post_logout_redirect_uri": AFTER},
        {"client_id": created["client_id"], "state": "s1"},
    ):
        response = await app.get(LOGOUT, params=params)
        assert response.status_code == 303
        assert response.headers["location"] == END_SESSION, params


async def _logout_request(app, **params: str) -> str:
    response = await app.post(LOGOUT, data=params)
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == END_SESSION
    return parse_qs(location.query)["request"][0]


async def test_without_a_hint_a_registered_address_is_kept_for_after_the_log_out(app) -> None:
    created = await register_app(app, post_logout_redirect_uris=[AFTER])
    login = await person(app)
    params = {"client_id": created["client_id"], "post_logout_redirect_uri": AFTER}
    request_id = await _logout_request(app, **params, state="s 1", id_token_hint="x.y.z")
    assert (await refresh(app, login.refresh_token)).status_code == 200  # asked, not ended
    redis = registry(app).redis
    ttls = [await redis.ttl(key) async for key in redis.scan_iter("oidc:logout:*")]
    assert len(ttls) == 1 and 0 < ttls[0] <= 600, ttls  # short-lived, stored by hash
    assert request_id not in (await redis.keys("oidc:logout:*"))[0]

    answer = await app.post(f"{LOGOUT}/{request_id}", json={})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"url": AFTER + "?state=s+1"}
    again = await app.post(f"{LOGOUT}/{request_id}", json={})
    assert_problem(again, 404, "logout_request_unknown")  # given out once
    unknown = await app.post(f"{LOGOUT}/{'x' * 43}", json={})
    assert_problem(unknown, 404, "logout_request_unknown")


async def test_without_a_hint_an_unregistered_address_is_refused_never_redirected(app) -> None:
    created = await register_app(app, post_logout_redirect_uris=[AFTER])
    for params in (
        {"client_id": created["client_id"], "post_logout_redirect_uri": "https://evil.example/"},
        {"client_id": created["client_id"], "post_logout_redirect_uri": AFTER + "/"},
        {"client_id": "app_nobody", "post_logout_redirect_uri": AFTER},
    ):
        response = await app.get(LOGOUT, params=params)
        assert response.status_code == 400 and "location" not in response.headers, params
        assert "not registered" in response.text
    redis = registry(app).redis
    assert [key async for key in redis.scan_iter("oidc:logout:*")] == []
