from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import FakeClock, log_in
from tests.oidc_flow import (
    ADMIN,
    AUTHORIZE,
    ISSUER,
    REDIRECT,
    Flow,
    decide,
    person,
    query_of,
    register_app,
    start,
)


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "app_nobody"},
        {"redirect_uri": REDIRECT + "/"},
        {"redirect_uri": "http://127.0.0.1:9999/other"},
    ],
)
async def test_unknown_client_or_redirect_mismatch_is_an_html_page_not_a_redirect(
    app, override
) -> None:
    created = await register_app(app)
    params = {**Flow(created["client_id"]).params(), **override}
    response = await app.get(AUTHORIZE, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "override",
    [{"code_challenge": ""}, {"code_challenge_method": "plain"}, {"code_challenge_method": ""}],
)
async def test_missing_or_plain_pkce_goes_back_as_invalid_request_with_state_and_iss(
    app, override
) -> None:
    created = await register_app(app)
    flow = Flow(created["client_id"])
    response = await app.get(AUTHORIZE, params=flow.params(**override))
    assert response.status_code == 303
    answer = query_of(response.headers["location"])
    assert answer["error"] == "invalid_request"
    assert answer["state"] == flow.state and answer["iss"] == ISSUER


async def test_unknown_parameters_resource_and_offline_access_are_no_error(app) -> None:
    created = await register_app(app)
    flow = Flow(created["client_id"], scope="openid offline_access made:up")
    request_id = await start(app, flow.params(resource="https://api.example", claims="{}"))
    assert request_id


async def test_without_a_session_the_page_is_told_to_log_in_with_the_hint(app) -> None:
    created = await register_app(app)
    request_id = await start(app, Flow(created["client_id"]).params(login_hint="ann@x.org"))
    assert await decide(app, request_id, None) == {
        "action": "login",
        "fresh": False,
        "login_hint": "ann@x.org",
    }


async def test_prompt_none_never_shows_a_page(app) -> None:
    created = await register_app(app)
    flow = Flow(created["client_id"])
    answer = await decide(app, await start(app, flow.params(prompt="none")), None)
    callback = query_of(answer["url"])
    assert callback["error"] == "login_required" and callback["state"] == flow.state
    login = await person(app)
    answer = await decide(app, await start(app, flow.params(prompt="none")), login)
    assert query_of(answer["url"])["error"] == "consent_required"


async def test_a_first_party_client_skips_consent_even_with_prompt_none(app) -> None:
    created = await register_app(app, first_party=True)
    login = await person(app)
    flow = Flow(created["client_id"])
    answer = await decide(app, await start(app, flow.params(prompt="none")), login)
    assert "code" in query_of(answer["url"])


async def test_the_consent_page_lists_each_scope_once(app) -> None:
    created = await register_app(app, scopes=["openid", "email"])
    login = await person(app)
    flow = Flow(created["client_id"], scope="openid email openid")
    answer = await decide(app, await start(app, flow.params()), login)
    assert [s["scope"] for s in answer["scopes"]] == ["openid", "email"]


async def test_consent_is_remembered_and_asked_again_for_new_scopes(app) -> None:
    created = await register_app(app)
    login = await person(app)
    flow = Flow(created["client_id"], scope="openid")
    request_id = await start(app, flow.params())
    answer = await decide(app, request_id, login)
    assert answer["action"] == "consent"
    assert answer["client"] == {"client_id": created["client_id"], "name": "Notes app"}
    allowed = await app.post(
        f"{AUTHORIZE}/{request_id}/consent", json={"allow": True}, headers=login.bearer
    )
    assert "code" in query_of(allowed.json()["url"])
    again = await decide(app, await start(app, flow.params()), login)
    assert again["action"] == "redirect"
    wider = Flow(created["client_id"], scope="openid email")
    assert (await decide(app, await start(app, wider.params()), login))["action"] == "consent"
    forced = await decide(app, await start(app, flow.params(prompt="consent")), login)
    assert forced["action"] == "consent"


async def test_deny_sends_access_denied(app) -> None:
    created = await register_app(app)
    login = await person(app)
    request_id = await start(app, Flow(created["client_id"]).params())
    denied = await app.post(
        f"{AUTHORIZE}/{request_id}/consent", json={"allow": False}, headers=login.bearer
    )
    assert query_of(denied.json()["url"])["error"] == "access_denied"


def start_of_a_second(clock: FakeClock) -> None:
    """Moves the clock to just past a whole second: what follows at once shares it."""
    clock.advance(1 - clock.now().microsecond / 1e6 + 0.001)


async def test_a_log_in_just_before_the_request_is_not_a_fresh_one(app, clock: FakeClock) -> None:
    created = await register_app(app, first_party=True)
    await person(app)
    flow = Flow(created["client_id"])
    start_of_a_second(clock)
    login = await log_in(app, "ann@example.org")  # the same second as the request
    for extra in ({"prompt": "login"}, {"prompt": "login", "max_age": "3600"}):
        answer = await decide(app, await start(app, flow.params(**extra)), login)
        assert answer == {"action": "login", "fresh": True, "login_hint": None}, extra


async def test_a_log_in_after_the_request_satisfies_prompt_login_and_max_age(app) -> None:
    created = await register_app(app, first_party=True)
    login = await person(app)
    flow = Flow(created["client_id"])
    for extra in ({"prompt": "login"}, {"max_age": "0"}, {"prompt": "login", "max_age": "0"}):
        request_id = await start(app, flow.params(**extra))
        answer = await decide(app, request_id, login)
        assert answer["action"] == "login" and answer["fresh"] is True, extra
        again = await log_in(app, "ann@example.org")
        answer = await decide(app, request_id, again)
        assert answer["action"] == "redirect" and "code" in query_of(answer["url"]), extra


async def test_max_age_accepts_a_log_in_younger_than_it(app, clock: FakeClock) -> None:
    created = await register_app(app, first_party=True)
    login = await person(app)
    flow = Flow(created["client_id"])
    clock.advance(2)
    answer = await decide(app, await start(app, flow.params(max_age="1")), login)
    assert answer["action"] == "login" and answer["fresh"] is True
    answer = await decide(app, await start(app, flow.params(max_age="3600")), login)
    assert answer["action"] == "redirect"


async def test_an_unknown_request_id_is_a_404_problem(app) -> None:
    response = await app.post(f"{AUTHORIZE}/nope", json={})
    assert response.status_code == 404
    assert response.json()["code"] == "authorization_request_unknown"


async def test_form_post_answers_a_self_posting_form_once(app) -> None:
    created = await register_app(app, first_party=True)
    login = await person(app)
    flow = Flow(created["client_id"])
    answer = await decide(app, await start(app, flow.params(response_mode="form_post")), login)
    url = urlsplit(answer["url"])
    assert answer["url"].startswith(ISSUER + "/oauth/authorize/")
    page = await app.get(url.path)
    assert page.status_code == 200 and f'action="{REDIRECT}"' in page.text
    assert "form-action http://127.0.0.1:9999" in page.headers["content-security-policy"]
    assert 'name="iss"' in page.text and flow.state in page.text
    assert (await app.get(url.path)).status_code == 404
    assert not parse_qs(url.query)


async def _push(app, flow, **extra):
    return await app.post("/api/auth/oauth/par", data=flow.params(**extra))


async def test_a_pushed_request_is_used_once_by_its_request_uri(app) -> None:
    created = await register_app(app, first_party=True)
    flow = Flow(created["client_id"])
    pushed = await _push(app, flow)
    assert pushed.status_code == 201, pushed.text
    body = pushed.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 60
    by_uri = {"client_id": created["client_id"], "request_uri": body["request_uri"]}
    first = await app.get(AUTHORIZE, params=by_uri)
    assert first.status_code == 303 and "/authorize?request=" in first.headers["location"]
    again = await app.get(AUTHORIZE, params=by_uri)
    assert again.status_code == 400 and "location" not in again.headers
    login = await person(app)
    request_id = parse_qs(urlsplit(first.headers["location"]).query)["request"][0]
    answer = await decide(app, request_id, login)
    assert query_of(answer["url"])["state"] == flow.state


async def test_a_client_that_requires_par_cannot_send_its_request_in_the_url(app) -> None:
    created = await register_app(app, require_pushed_authorization_requests=True)
    flow = Flow(created["client_id"])
    response = await app.get(AUTHORIZE, params=flow.params())
    assert query_of(response.headers["location"])["error"] == "invalid_request"
    assert (await _push(app, flow)).status_code == 201


async def test_par_checks_the_request_as_the_authorization_endpoint_does(app) -> None:
    created = await register_app(app)
    flow = Flow(created["client_id"])
    plain = await _push(app, flow, code_challenge_method="plain")
    assert plain.status_code == 400 and plain.json()["error"] == "invalid_request"
    wrong = await _push(app, flow, redirect_uri="http://127.0.0.1:9999/elsewhere")
    assert wrong.status_code == 400
