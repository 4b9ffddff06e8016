from __future__ import annotations

import asyncio

import httpx
import pytest
from jose import jwt

from tests.helpers import FakeClock, jwt_parts
from tests.oidc_flow import ADMIN, Flow, code_for, exchange, person, register_app

USERINFO = "/api/auth/oauth/userinfo"


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


async def _signed_in(app, **options):
    created = await register_app(app, first_party=True, **options)
    login = await person(app)
    flow = Flow(created["client_id"])
    return created, flow, (await code_for(app, flow, login))["code"], login


async def test_a_wrong_verifier_is_invalid_grant(app) -> None:
    _, flow, code, _ = await _signed_in(app)
    response = await exchange(app, flow, code, code_verifier="x" * 50)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_another_clients_code_is_invalid_grant(app) -> None:
    _, flow, code, _ = await _signed_in(app)
    other = await register_app(app)
    response = await exchange(app, Flow(other["client_id"], verifier=flow.verifier), code)
    assert response.json()["error"] == "invalid_grant"


async def test_a_public_client_is_never_asked_for_a_secret_but_a_confidential_one_is(app) -> None:
    created, flow, code, _ = await _signed_in(app, token_endpoint_auth_method="client_secret_post")
    assert created["client_secret"]
    refused = await exchange(app, flow, code)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    wrong = await exchange(app, flow, code, client_secret="not-it")
    assert wrong.status_code == 401
    # Client authentication comes first: the code was not spent by those.
    done = await exchange(app, flow, code, client_secret=created["client_secret"])
    assert done.status_code == 200, done.text


async def test_a_code_used_twice_revokes_what_the_first_use_gave(app) -> None:
    _, flow, code, _ = await _signed_in(app)
    first = await exchange(app, flow, code)
    assert first.status_code == 200
    access = first.json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert (await app.get(USERINFO, headers=bearer)).status_code == 200
    second = await exchange(app, flow, code)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    refused = await app.get(USERINFO, headers=bearer)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_of_100_concurrent_exchanges_one_succeeds_and_then_is_revoked(app) -> None:
    _, flow, code, _ = await _signed_in(app)
    answers = await asyncio.gather(*(exchange(app, flow, code) for _ in range(100)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [400] * 99
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code == 400)
    won = next(a for a in answers if a.status_code == 200).json()["access_token"]
    refused = await app.get(USERINFO, headers={"Authorization": f"Bearer {won}"})
    assert refused.status_code == 401


async def test_the_id_token_verifies_against_the_jwks_with_at_hash_and_nonce(app) -> None:
    created, flow, code, login = await _signed_in(app)
    body = (await exchange(app, flow, code)).json()
    jwks = (await app.get("/api/auth/.well-known/jwks.json")).json()
    header, _ = jwt_parts(body["id_token"])
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        body["id_token"],
        key,
        algorithms=["RS256"],
        audience=created["client_id"],
        issuer="http://localhost:8080/api/auth",
        access_token=body["access_token"],  # checks at_hash
    )
    assert claims["nonce"] == flow.nonce and claims["email"] == "ann@example.org"
    assert claims["email_verified"] is False and claims["amr"] == ["pwd"]
    assert isinstance(claims["auth_time"], int)
    assert claims["sid"] == jwt_parts(login.access_token)[1]["sid"]


async def test_userinfo_by_header_and_by_post_body(app) -> None:
    _, flow, code, _ = await _signed_in(app)
    access = (await exchange(app, flow, code)).json()["access_token"]
    by_header = await app.get(USERINFO, headers={"Authorization": f"Bearer {access}"})
    by_body = await app.post(USERINFO, data={"access_token": access})
    assert by_header.json() == by_body.json()
    assert by_header.json()["email"] == "ann@example.org" and "sub" in by_header.json()
    none = await app.get(USERINFO)
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    bad = await app.get(USERINFO, headers={"Authorization": "Bearer nope"})
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]


async def test_the_code_expires_after_60_seconds(app, clock: FakeClock) -> None:
    _, flow, code, _ = await _signed_in(app)
    clock.advance(61)
    response = await exchange(app, flow, code)
    assert response.json()["error"] == "invalid_grant"
    assert "expired" in response.json()["error_description"]


async def test_the_sessions_list_leaves_out_applications(app) -> None:
    _, flow, code, login = await _signed_in(app)
    assert (await exchange(app, flow, code)).status_code == 200
    listed = (await app.get("/api/auth/sessions", headers=login.bearer)).json()
    assert len(listed) == 1 and listed[0]["current"] is True


async def test_an_unmodified_authlib_client_completes_the_flow(app) -> None:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    created = await register_app(app, first_party=True)
    login = await person(app)
    transport = app._transport  # the same app, through ASGI
    async with AsyncOAuth2Client(
        client_id=created["client_id"],
        token_endpoint_auth_method="none",
        redirect_uri="http://127.0.0.1:9999/callback",
        scope="openid email",
        code_challenge_method="S256",
        transport=transport,
        base_url="http://localhost:8080",
    ) as rp:
        verifier = "v" * 64
        url, _ = rp.create_authorization_url(
            "http://localhost:8080/api/auth/oauth/authorize", code_verifier=verifier
        )
        start = await app.get(url)
        request_id = start.headers["location"].split("request=")[1]
        answer = await app.post(
            f"/api/auth/oauth/authorize/{request_id}", json={}, headers=login.bearer
        )
        callback = answer.json()["url"]
        token = await rp.fetch_token(
            "http://localhost:8080/api/auth/oauth/token",
            authorization_response=callback,
            code_verifier=verifier,
        )
    assert token["token_type"] == "Bearer" and "id_token" in token
    assert isinstance(transport, httpx.ASGITransport)
