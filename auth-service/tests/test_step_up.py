"""What the access token says of how and when its user proved who they are (`auth_time`,
`amr`, `email_verified`), and the recent log-in that sensitive changes need (RFC 9470)."""

from __future__ import annotations

import time

from tests.helpers import (
    PASSWORD,
    assert_problem,
    jwt_parts,
    log_in,
    refresh,
    refresh_cookie_of,
    sign_up,
)

NEW_PASSWORD = "copper-meadow-93"


async def _age_the_log_in(db, access_token: str, seconds: int = 600) -> None:
    sid = jwt_parts(access_token)[1]["sid"]
    await db.execute(
        "UPDATE sessions SET auth_time = auth_time - make_interval(secs => $2) WHERE id = $1::uuid",
        sid,
        seconds,
    )


async def test_a_password_log_in_says_when_and_how_in_the_access_token(client) -> None:
    before = int(time.time())
    login = await sign_up(client, "ann@example.org")
    claims = jwt_parts(login.access_token)[1]
    assert claims["amr"] == ["pwd"]
    assert before - 1 <= claims["auth_time"] <= claims["iat"]
    assert claims["email_verified"] is False
    me = (await client.get("/api/auth/me", headers=login.bearer)).json()
    assert me["email_verified"] is False
    again = await log_in(client, "ann@example.org")
    assert jwt_parts(again.access_token)[1]["amr"] == ["pwd"]


async def test_a_refresh_carries_auth_time_over_and_never_renews_it(client, db) -> None:
    login = await sign_up(client, "ann@example.org")
    await _age_the_log_in(db, login.access_token)
    first = jwt_parts(login.access_token)[1]["auth_time"]
    answer = await refresh(client, login.refresh_token)
    claims = jwt_parts(answer.json()["access_token"])[1]
    assert claims["auth_time"] == first - 600
    assert claims["iat"] > claims["auth_time"] and claims["amr"] == ["pwd"]
    answer = await refresh(client, refresh_cookie_of(answer))
    assert jwt_parts(answer.json()["access_token"])[1]["auth_time"] == first - 600


async def test_an_old_log_in_gets_the_rfc_9470_challenge_and_reauth_answers_it(client, db) -> None:
    login = await sign_up(client, "ann@example.org")
    await _age_the_log_in(db, login.access_token)
    old = (await refresh(client, login.refresh_token)).json()["access_token"]
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    headers = {"Authorization": f"Bearer {old}"}

    refused = await client.post("/api/auth/password", json=change, headers=headers)
    body = assert_problem(refused, 401, "insufficient_user_authentication")
    assert body["max_age"] == 300
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="insufficient_user_authentication"')
    assert 'max_age="300"' in challenge

    proved = await client.post("/api/auth/reauth", json={"password": PASSWORD}, headers=headers)
    assert proved.status_code == 200, proved.text
    assert proved.headers["cache-control"] == "no-store"
    assert "set-cookie" not in proved.headers  # the session and its refresh token stay
    fresh = jwt_parts(proved.json()["access_token"])[1]
    assert fresh["sid"] == jwt_parts(old)[1]["sid"]
    assert fresh["auth_time"] >= int(time.time()) - 5 and fresh["amr"] == ["pwd"]

    done = await client.post(
        "/api/auth/password",
        json=change,
        headers={"Authorization": f"Bearer {proved.json()['access_token']}"},
    )
    assert done.status_code == 204, done.text


async def test_reauth_refreshes_the_session_so_the_next_refresh_keeps_the_new_time(
    client, db
) -> None:
    login = await sign_up(client, "ann@example.org")
    await _age_the_log_in(db, login.access_token)
    proved = await client.post(
        "/api/auth/reauth", json={"password": PASSWORD}, headers=login.bearer
    )
    auth_time = jwt_parts(proved.json()["access_token"])[1]["auth_time"]
    answer = await refresh(client, login.refresh_token)
    assert jwt_parts(answer.json()["access_token"])[1]["auth_time"] == auth_time


async def test_the_max_age_follows_the_setting(make_client, db) -> None:
    change = {"new_email": "ann@example.net", "password": PASSWORD}
    async with make_client(reauth_max_age=3600) as client:
        login = await sign_up(client, "ann@example.org")
        await _age_the_log_in(db, login.access_token, 600)
        answer = await refresh(client, login.refresh_token)
        aged = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        accepted = await client.post("/api/auth/email/change", json=change, headers=aged)
        assert accepted.status_code == 202
        await _age_the_log_in(db, login.access_token, 3600)
        answer = await refresh(client, refresh_cookie_of(answer))
        older = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        refused = await client.post("/api/auth/email/change", json=change, headers=older)
    assert_problem(refused, 401, "insufficient_user_authentication")
    assert 'max_age="3600"' in refused.headers["www-authenticate"]


async def test_reauth_with_a_wrong_password_is_refused_counted_and_audited(client, db) -> None:
    login = await sign_up(client, "ann@example.org")
    answer = await client.post(
        "/api/auth/reauth", json={"password": "not-the-password"}, headers=login.bearer
    )
    assert_problem(answer, 403, "wrong_password")
    assert await db.fetchval("SELECT count(*) FROM audit_events WHERE event = 'reauth_failed'") == 1
    metrics = (await client.get("/metrics")).text
    assert 'gatehouse_account_flows_total{flow="reauth",outcome="wrong_password"} 1.0' in metrics


async def test_reauth_needs_a_users_token_of_a_live_session(client) -> None:
    login = await sign_up(client, "ann@example.org")
    assert_problem(await client.post("/api/auth/reauth", json={"password": PASSWORD}), 401)
    await client.post("/api/auth/logout-all", headers=login.bearer)
    ended = await client.post("/api/auth/reauth", json={"password": PASSWORD}, headers=login.bearer)
    assert_problem(ended, 401, "invalid_token")
