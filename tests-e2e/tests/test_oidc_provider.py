"""The checks of the OpenID Foundation's Basic and Config OP plans that apply to Gatehouse,
over HTTP through the gateway: discovery, the id_token's signature and claims, nonce,
`prompt=none` with and without a session, `max_age`, code reuse, redirect URI mismatch,
userinfo by header and by body, refresh, RP-initiated logout. The pages' part of the flow
(the bounce page's decision loop and the consent page) is driven through the same API the
pages call; the browser tests run it in Chromium."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from tests_e2e.oidc import (
    Code,
    Person,
    bearer,
    claims_of,
    code_flow,
    decide,
    exchange,
    issuer,
    query_of,
    register_app,
    sign_up,
    start_authorization,
)
from tests_e2e.refresh import CSRF
from tests_e2e.stacks import RunningStack

PASSWORD = "an oidc e2e passphrase"
# Nothing listens there: the tests read the redirects, they never follow them.
REDIRECT = "http://127.0.0.1:9/callback"
LOGGED_OUT = "http://127.0.0.1:9/logged-out"


@pytest.fixture(scope="module")
def app(stack: RunningStack) -> dict[str, Any]:
    return register_app(stack.base_url, [REDIRECT], post_logout_redirect_uris=[LOGGED_OUT])


@pytest.fixture
def person(client: httpx.Client) -> Person:
    return sign_up(client, PASSWORD)


def discovery(http: httpx.Client) -> dict[str, Any]:
    answer = http.get("/api/auth/.well-known/openid-configuration")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def params_for(app: dict[str, Any], **extra: str) -> dict[str, str]:
    """An authorization request that needs no PKCE answer (the tests stop at the redirect)."""
    return {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "state": "s-123",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **extra,
    }


def test_discovery_lists_the_endpoints_and_what_is_supported(client: httpx.Client) -> None:
    doc = discovery(client)
    base = issuer(str(client.base_url))
    assert doc["issuer"] == base
    for endpoint in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "pushed_authorization_request_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ):
        assert doc[endpoint].startswith(f"{base}/"), (endpoint, doc.get(endpoint))
    # Registration is off by default, so it is not advertised.
    assert "registration_endpoint" not in doc
    assert doc["response_types_supported"] == ["code"]
    assert {"query", "form_post"} <= set(doc["response_modes_supported"])
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(
        doc["grant_types_supported"]
    )
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "profile", "email", "offline_access"} <= set(doc["scopes_supported"])
    assert {"sub", "email", "email_verified"} <= set(doc["claims_supported"])
    assert "public" in doc["subject_types_supported"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(
        doc["token_endpoint_auth_methods_supported"]
    )
    assert {"none", "login", "consent"} <= set(doc["prompt_values_supported"])
    assert doc["authorization_response_iss_parameter_supported"] is True

    keys = client.get(doc["jwks_uri"])
    assert keys.status_code == 200, keys.text
    signing = [k for k in keys.json()["keys"] if k.get("use", "sig") == "sig"]
    assert signing and all(k["kty"] == "RSA" and k["kid"] for k in signing), keys.json()


def verified_id_token(http: httpx.Client, id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The id_token's header and claims once its signature checks out against the JWKS."""
    keys = KeySet.import_key_set(http.get(discovery(http)["jwks_uri"]).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    return dict(token.header), dict(token.claims)


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_the_id_token_is_signed_and_carries_the_claims(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    code = code_flow(client, app, person)
    answer = exchange(client, app, code)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"].lower() == "bearer"
    assert isinstance(tokens["expires_in"], int) and tokens["expires_in"] > 0
    assert "openid" in tokens["scope"].split()
    assert tokens["refresh_token"]
    assert answer.headers["cache-control"] == "no-store"

    header, claims = verified_id_token(client, tokens["id_token"])
    assert header["alg"] == "RS256" and header["kid"]
    now = time.time()
    assert claims["iss"] == issuer(str(client.base_url))
    assert claims["sub"] == person.sub
    aud = claims["aud"]
    assert aud == app["client_id"] or (isinstance(aud, list) and app["client_id"] in aud)
    assert claims["iat"] <= now + 5 < claims["exp"]
    assert claims["auth_time"] <= claims["iat"]
    assert claims["nonce"] == code.nonce
    assert claims["at_hash"] == at_hash(tokens["access_token"])
    assert claims["sid"] and isinstance(claims["amr"], list) and claims["amr"]
    assert claims["email"] == person.email and claims["email_verified"] is False

    access = claims_of(tokens["access_token"])  # RFC 9068
    assert access["client_id"] == app["client_id"] and access["sub"] == person.sub


def test_userinfo_answers_by_header_and_by_body(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    tokens = exchange(client, app, code_flow(client, app, person)).json()
    expected = {"sub": person.sub, "email": person.email}
    by_header = client.get("/api/auth/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert by_header.status_code == 200, by_header.text
    assert expected.items() <= by_header.json().items()
    by_body = client.post("/api/auth/oauth/userinfo", data={"access_token": tokens["access_token"]})
    assert by_body.status_code == 200, by_body.text
    assert expected.items() <= by_body.json().items()

    missing = client.get("/api/auth/oauth/userinfo")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].lower().startswith("bearer")
    forged = client.get("/api/auth/oauth/userinfo", headers=bearer("not.a.token"))
    assert forged.status_code == 401
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]


def test_prompt_none_without_a_session_answers_login_required(
    client: httpx.Client, app: dict[str, Any]
) -> None:
    request_id = start_authorization(client, params_for(app, prompt="none"))
    decision = decide(client, request_id, None)
    assert decision["action"] == "redirect", decision
    assert decision["url"].startswith(f"{REDIRECT}?")
    answer = query_of(decision["url"])
    assert answer["error"] == "login_required" and answer["state"] == "s-123"
    assert answer["iss"] == issuer(str(client.base_url)) and "code" not in answer


def test_prompt_none_with_a_session_gives_a_code_once_the_app_is_allowed(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    request_id = start_authorization(client, params_for(app, prompt="none"))
    not_yet = query_of(decide(client, request_id, person.token)["url"])
    assert not_yet["error"] == "consent_required", not_yet

    code_flow(client, app, person)  # the person allows the app
    silent = code_flow(client, app, person, prompt="none")
    assert exchange(client, app, silent).status_code == 200


def test_max_age_asks_for_a_new_log_in_once_the_last_one_is_older(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    code_flow(client, app, person)  # allowed, so only the log-in's age matters below
    time.sleep(2)
    request_id = start_authorization(client, params_for(app, max_age="1"))
    decision = decide(client, request_id, person.token)
    assert decision["action"] == "login" and decision["fresh"] is True, decision
    silent = start_authorization(client, params_for(app, max_age="1", prompt="none"))
    assert query_of(decide(client, silent, person.token)["url"])["error"] == "login_required"

    recent = code_flow(client, app, person, max_age="3600")
    _, claims = verified_id_token(client, exchange(client, app, recent).json()["id_token"])
    assert time.time() - 3600 < claims["auth_time"] <= time.time()


def test_a_code_works_once_and_its_replay_revokes_what_it_gave(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    code = code_flow(client, app, person)
    first = exchange(client, app, code)
    assert first.status_code == 200, first.text
    replay = exchange(client, app, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text

    tokens = first.json()
    userinfo = client.get("/api/auth/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401, userinfo.text
    refresh = client.post(
        "/api/auth/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_a_refresh_token_rotates_and_its_successor_works(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    tokens = exchange(client, app, code_flow(client, app, person)).json()
    answer = client.post(
        "/api/auth/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert answer.status_code == 200, answer.text
    renewed = answer.json()
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert renewed["access_token"] != tokens["access_token"]
    userinfo = client.get("/api/auth/oauth/userinfo", headers=bearer(renewed["access_token"]))
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == person.sub


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:9/elsewhere", f"{REDIRECT}/", "https://evil.example/callback"],
    ids=["unregistered", "one-more-slash", "another-site"],
)
def test_a_redirect_uri_that_is_not_registered_exactly_shows_an_error_page(
    client: httpx.Client, app: dict[str, Any], redirect_uri: str
) -> None:
    answer = client.get(
        "/api/auth/oauth/authorize", params=params_for(app, redirect_uri=redirect_uri)
    )
    assert answer.status_code == 400, (answer.status_code, answer.headers)
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")


def test_an_unknown_client_shows_an_error_page(client: httpx.Client, app: dict[str, Any]) -> None:
    params = params_for(app, client_id="no-such-client")
    answer = client.get("/api/auth/oauth/authorize", params=params)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")


def test_rp_initiated_logout_ends_the_session_and_returns_to_the_app(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    id_token = exchange(client, app, code_flow(client, app, person)).json()["id_token"]
    answer = client.get(
        "/api/auth/oauth/logout",
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": LOGGED_OUT,
            "state": "bye-1",
        },
    )
    assert answer.status_code in (302, 303), (answer.status_code, answer.text)
    assert answer.headers["location"] == f"{LOGGED_OUT}?state=bye-1"
    # The session the id_token named is over: its refresh cookie no longer refreshes.
    refreshed = client.post("/api/auth/refresh", headers=CSRF)
    assert refreshed.status_code == 401, refreshed.text


def test_code_for_the_registered_redirect_uri_only(
    client: httpx.Client, app: dict[str, Any], person: Person
) -> None:
    code: Code = code_flow(client, app, person)
    answer = exchange(client, app, code, redirect_uri=f"{REDIRECT}/")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text
