"""What an account event does to an application's grant (its refresh-token family, a
`sessions` row with a client id, and its access tokens, refused everywhere through the
revocation feed): the same as to the person's other browser sessions. A password reset,
a password change, log-out everywhere, an administrator's "end sessions" and turning a
second factor on end both; turning it off ends neither. Consents stay."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from auth_service.account import links

from tests.feed_helpers import admin_bearer
from tests.helpers import PASSWORD, Login, jwt_parts, log_in, refresh, registry, sign_up_verified
from tests.oidc_flow import ADMIN, TOKEN, Flow, code_for, decide, exchange, register_app, start
from tests.second_factor import enrol_totp, log_in_with_code, prove_with_code

EMAIL, NEW = "ann@example.org", "a brand new passphrase 9"
USERINFO = "/api/auth/oauth/userinfo"


@dataclass
class Granted:
    client_id: str
    tokens: dict  # the token endpoint's answer: access_token, id_token, refresh_token
    login: Login  # the browser session that allowed it
    other: Login  # another browser session of the same person


async def _grant(app: httpx.AsyncClient, login: Login, other: Login | None = None) -> Granted:
    created = await register_app(app)  # not first party: a consent is asked, and remembered
    flow = Flow(created["client_id"])
    tokens = (await exchange(app, flow, (await code_for(app, flow, login))["code"])).json()
    assert "refresh_token" in tokens, tokens
    return Granted(created["client_id"], tokens, login, other or await log_in(app, EMAIL))


async def _app_refresh(app: httpx.AsyncClient, granted: Granted) -> httpx.Response:
    data = {
        "grant_type": "refresh_token",
        "refresh_token": granted.tokens["refresh_token"],
        "client_id": granted.client_id,
    }
    return await app.post(TOKEN, data=data)


async def _fed_as_ended(app: httpx.AsyncClient, access_token: str) -> bool:
    """What every resource server following the feed decides about this access token."""
    claims = jwt_parts(access_token)[1]
    return await registry(app).revocation_log.denies(
        sid=claims.get("sid"),
        jti=claims.get("jti"),
        client_id=claims.get("client_id"),
        sub=claims["sub"],
        iat=int(claims["iat"]),
    )


async def _state(app: httpx.AsyncClient, granted: Granted) -> dict[str, bool]:
    bearer = {"Authorization": f"Bearer {granted.tokens['access_token']}"}
    return {
        "browser session lives": (await refresh(app, granted.other.refresh_token)).is_success,
        "app refresh token works": (await _app_refresh(app, granted)).is_success,
        "app access token at userinfo": (await app.get(USERINFO, headers=bearer)).is_success,
        "app access token passes the feed": not await _fed_as_ended(
            app, granted.tokens["access_token"]
        ),
    }


async def _reset_password(app: httpx.AsyncClient, granted: Granted) -> None:
    user_id = uuid.UUID(jwt_parts(granted.login.access_token)[1]["sub"])
    async with registry(app).sessionmaker() as db, db.begin():
        now = registry(app).clock.now()
        token = await links.issue(db, user_id, links.Purpose.RESET_PASSWORD, EMAIL, now)
    reset = await app.post("/api/auth/password/reset", json={"token": token, "new_password": NEW})
    assert reset.status_code == 204, reset.text


async def _change_password(app: httpx.AsyncClient, granted: Granted) -> None:
    body = {"current_password": PASSWORD, "new_password": NEW}
    changed = await app.post("/api/auth/password", json=body, headers=granted.login.bearer)
    assert changed.status_code == 204, changed.text


async def _log_out_everywhere(app: httpx.AsyncClient, granted: Granted) -> None:
    ended = await app.post("/api/auth/logout-all", headers=granted.login.bearer)
    assert ended.status_code == 204, ended.text


async def _admin_ends_sessions(app: httpx.AsyncClient, granted: Granted) -> None:
    user_id = jwt_parts(granted.login.access_token)[1]["sub"]
    url = f"/api/auth/admin/users/{user_id}/sessions"
    ended = await app.delete(url, headers=await admin_bearer(app))
    assert ended.status_code == 204, ended.text


async def _turn_totp_on(app: httpx.AsyncClient, granted: Granted) -> None:
    await enrol_totp(app, granted.login)


Event = Callable[[httpx.AsyncClient, Granted], Awaitable[None]]
ENDED = dict.fromkeys(
    (
        "browser session lives",
        "app refresh token works",
        "app access token at userinfo",
        "app access token passes the feed",
    ),
    False,
)


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


@pytest.mark.parametrize(
    "event",
    [_reset_password, _change_password, _log_out_everywhere, _admin_ends_sessions, _turn_totp_on],
)
async def test_the_event_ends_the_apps_grant_with_the_other_browser_sessions(
    app, event: Event
) -> None:
    granted = await _grant(app, await sign_up_verified(app, EMAIL))
    await event(app, granted)
    assert await _state(app, granted) == ENDED


async def test_turning_the_second_factor_off_ends_neither(app) -> None:
    login = await sign_up_verified(app, EMAIL)
    enrolled = await enrol_totp(app, login)
    granted = await _grant(app, login, await log_in_with_code(app, EMAIL, enrolled.fresh_code()))
    await prove_with_code(app, login, enrolled)  # turning it off needs a proof of it
    off = await app.delete("/api/auth/mfa/totp", headers=login.bearer)
    assert off.status_code == 204, off.text
    assert await _state(app, granted) == dict.fromkeys(ENDED, True)


async def test_a_password_reset_keeps_the_consent(app) -> None:
    granted = await _grant(app, await sign_up_verified(app, EMAIL))
    await _reset_password(app, granted)
    again = await log_in(app, EMAIL, NEW)
    request_id = await start(app, Flow(granted.client_id).params())
    assert (await decide(app, request_id, again))["action"] == "redirect"
