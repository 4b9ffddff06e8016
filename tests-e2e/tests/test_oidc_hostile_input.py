"""Hostile input against Gatehouse's OpenID Provider, through the gateway: a code for
another client, a wrong PKCE verifier, PKCE downgrades, a `state`-less authorization
response (refused by both third-party relying parties), an open redirect through
`post_logout_redirect_uri`, and a hundred simultaneous exchanges of one code."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from tests_e2e.oidc import (
    Person,
    authorize,
    bearer,
    code_flow,
    exchange,
    exchange_form,
    issuer,
    query_of,
    register_app,
    relying_party,
    sign_up,
)
from tests_e2e.stacks import ARTIFACTS, RunningStack

PASSWORD = "an oidc e2e passphrase"
REDIRECT = "http://127.0.0.1:9/callback"
LOGGED_OUT = "http://127.0.0.1:9/logged-out"
EVIL = "https://evil.example/landing"
RACERS = 100


@pytest.fixture(scope="module")
def app(stack: RunningStack) -> dict[str, Any]:
    return register_app(stack.base_url, [REDIRECT], post_logout_redirect_uris=[LOGGED_OUT])


@pytest.fixture
def person(client: httpx.Client) -> Person:
    return sign_up(client, PASSWORD)


def test_a_code_is_refused_to_another_client(
    client: httpx.Client, app: dict[str, Any], person: Person, stack: RunningStack
) -> None:
    other = register_app(stack.base_url, [REDIRECT])
    answer = exchange(client, other, code_flow(client, app, person))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text


def test_a_wrong_verifier_is_refused(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    code = code_flow(client, app, person)
    wrong = exchange(client, app, code, code_verifier="x" * 64)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant", wrong.text
    missing = client.post(
        "/api/auth/oauth/token",
        data={k: v for k, v in exchange_form(code).items() if k != "code_verifier"},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert missing.status_code == 400, missing.text


@pytest.mark.parametrize(
    "pkce",
    [{"code_challenge_method": "plain", "code_challenge": "a" * 43}, {}],
    ids=["plain", "no-challenge"],
)
def test_pkce_other_than_s256_is_refused_at_the_app(
    client: httpx.Client, app: dict[str, Any], pkce: dict[str, str]
) -> None:
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s-9",
        **pkce,
    }
    answer = client.get("/api/auth/oauth/authorize", params=params)
    assert answer.status_code in (302, 303), (answer.status_code, answer.text)
    refused = query_of(answer.headers["location"])
    assert answer.headers["location"].startswith(f"{REDIRECT}?")
    assert refused["error"] == "invalid_request" and refused["state"] == "s-9", refused
    assert refused["iss"] == issuer(str(client.base_url))


@pytest.mark.parametrize("kind", ["authlib", "openid-client"])
def test_a_relying_party_refuses_a_response_without_its_state(
    client: httpx.Client, person: Person, stack: RunningStack, kind: str
) -> None:
    with (
        relying_party(kind, stack.base_url, ARTIFACTS) as rp,
        httpx.Client(base_url=rp.url, timeout=30) as browser,
    ):
        login = browser.get("/login")
        assert login.status_code == 302, login.text
        request = query_of(login.headers["location"])
        callback = authorize(client, person.token, request)
        answer = query_of(callback)
        assert answer["state"] == request["state"]

        stateless = browser.get("/callback", params={"code": answer["code"], "iss": answer["iss"]})
        assert stateless.status_code == 400, stateless.text
        # The same response with its state signs the person in: only the state was missing.
        signed_in = browser.get(callback.removeprefix(rp.url))
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["userinfo"]["sub"] == person.sub


@pytest.mark.parametrize(
    "target", [EVIL, f"{LOGGED_OUT}/", "//evil.example/"], ids=["another-site", "slash", "scheme"]
)
def test_post_logout_redirect_uri_is_no_open_redirect(
    client: httpx.Client, app: dict[str, Any], person: Person, target: str
) -> None:
    id_token = exchange(client, app, code_flow(client, app, person)).json()["id_token"]
    for hint in ({"id_token_hint": id_token}, {}):
        answer = client.get(
            "/api/auth/oauth/logout", params={**hint, "post_logout_redirect_uri": target}
        )
        # Refused outright (400) or sent to Gatehouse's own pages (303), never elsewhere.
        assert answer.status_code in (302, 303, 400), (answer.status_code, answer.text)
        location = answer.headers.get("location", "")
        assert "evil.example" not in location and not location.startswith(LOGGED_OUT), location
        if location.startswith("/end-session?"):
            request_id = query_of(location)["request"]
            confirmed = client.post(f"/api/auth/oauth/logout/{request_id}", json={})
            assert confirmed.status_code == 200, confirmed.text
            assert confirmed.json()["url"] is None, confirmed.json()


@pytest.mark.contract
async def test_a_hundred_exchanges_of_one_code_give_one_answer_and_revoke_it(
    stack: RunningStack,
) -> None:
    with stack.client() as http:
        app = register_app(stack.base_url, [REDIRECT])
        person = sign_up(http, PASSWORD)
        code = code_flow(http, app, person)
    limits = httpx.Limits(max_connections=RACERS)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=limits) as racer:
        answers = await asyncio.gather(
            *(
                racer.post(
                    "/api/auth/oauth/token",
                    data=exchange_form(code),
                    auth=(app["client_id"], app["client_secret"]),
                )
                for _ in range(RACERS)
            )
        )
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {200: 1, 400: RACERS - 1}, statuses
        refused = {a.json()["error"] for a in answers if a.status_code == 400}
        assert refused == {"invalid_grant"}
        (winner,) = (a.json() for a in answers if a.status_code == 200)
        # The losers were replays: the winner's tokens are revoked too.
        userinfo = await racer.get(
            "/api/auth/oauth/userinfo", headers=bearer(winner["access_token"])
        )
        assert userinfo.status_code == 401, userinfo.text
        refresh = await racer.post(
            "/api/auth/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": winner["refresh_token"]},
            auth=(app["client_id"], app["client_secret"]),
        )
        assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
