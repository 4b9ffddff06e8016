"""Step-up (POST /reauth) with an authenticator app's code, and the administrator's reset
of a user's second factors (HTTP and command line are in test_cli.py)."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import PASSWORD, assert_problem, jwt_parts, log_in, sign_up_verified
from tests.passkeyflows import enrol, passkey_log_in, prove_with_passkey
from tests.second_factor import enrol_totp, log_in_with_code, password_step
from tests.softauthenticator import SoftAuthenticator

ADMIN = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}


async def _aged(client, db, login) -> dict[str, str]:
    """The session's log-in made 10 minutes old: a bearer header without a recent log-in."""
    await db.execute("UPDATE sessions SET auth_time = auth_time - interval '10 minutes'")
    answer = await client.post(
        "/api/auth/refresh",
        headers={"X-Requested-With": "t", "Cookie": f"refresh_token={login.refresh_token}"},
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_reauth_with_a_code_freshens_auth_time_and_the_session_says_otp(client, db) -> None:
    enrolled = await enrol_totp(client, await sign_up_verified(client, "ann@example.org"))
    login = await log_in_with_code(client, "ann@example.org", enrolled.fresh_code())
    headers = await _aged(client, db, login)
    refused = await client.post("/api/auth/mfa/recovery-codes", headers=headers)
    assert_problem(refused, 401, "insufficient_user_authentication")

    code = enrolled.fresh_code()
    proved = await client.post("/api/auth/reauth", json={"code": code}, headers=headers)
    assert proved.status_code == 200, proved.text
    claims = jwt_parts(proved.json()["access_token"])[1]
    assert claims["amr"] == ["otp"] and claims["auth_time"] >= int(time.time()) - 5
    fresh = {"Authorization": f"Bearer {proved.json()['access_token']}"}
    assert (await client.post("/api/auth/mfa/recovery-codes", headers=fresh)).status_code == 200
    replay = await client.post("/api/auth/reauth", json={"code": code}, headers=fresh)
    assert_problem(replay, 403, "wrong_code")
    # A refresh carries the proof's amr over (the session row has it).
    renewed = await client.post(
        "/api/auth/refresh",
        headers={"X-Requested-With": "t", "Cookie": f"refresh_token={login.refresh_token}"},
    )
    assert jwt_parts(renewed.json()["access_token"])[1]["amr"] == ["otp"]


async def test_reauth_with_the_password_still_works_for_an_mfa_account(client, db) -> None:
    enrolled = await enrol_totp(client, await sign_up_verified(client, "ann@example.org"))
    login = await log_in_with_code(client, "ann@example.org", enrolled.fresh_code())
    headers = await _aged(client, db, login)
    proved = await client.post("/api/auth/reauth", json={"password": PASSWORD}, headers=headers)
    assert proved.status_code == 200
    assert jwt_parts(proved.json()["access_token"])[1]["amr"] == ["pwd"]


async def test_reauth_with_a_code_is_refused_without_an_app_or_with_a_recovery_code(
    client,
) -> None:
    plain = await sign_up_verified(client, "bob@example.org")
    no_app = await client.post("/api/auth/reauth", json={"code": "123456"}, headers=plain.bearer)
    assert_problem(no_app, 403, "wrong_code")
    login = await sign_up_verified(client, "ann@example.org")
    enrolled = await enrol_totp(client, login)
    recovery = await client.post(
        "/api/auth/reauth", json={"code": enrolled.recovery_codes[0]}, headers=login.bearer
    )
    assert_problem(recovery, 403, "wrong_code")


@pytest.mark.parametrize(
    "body", [{}, {"password": PASSWORD, "code": "123456"}, {"code": 123456}, {"code": ""}]
)
async def test_reauth_needs_exactly_one_well_formed_proof(client, body) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    assert_problem(await client.post("/api/auth/reauth", json=body, headers=login.bearer), 422)


async def test_me_says_whether_log_in_asks_for_a_second_factor(client) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    assert (await client.get("/api/auth/me", headers=login.bearer)).json()["mfa_enabled"] is False
    await enrol_totp(client, login)
    assert (await client.get("/api/auth/me", headers=login.bearer)).json()["mfa_enabled"] is True


async def test_an_administrator_resets_a_users_second_factors_passkeys_too_audited(
    make_client, db
) -> None:
    async with make_client(**ADMIN) as client:
        root = await log_in(client, "root@example.org", "root-pass-123")
        ann = await sign_up_verified(client, "ann@example.org")
        device = SoftAuthenticator()
        await enrol(client, ann, device, "laptop")
        await enrol(client, await prove_with_passkey(client, ann, device), device, "phone")
        await enrol_totp(client, ann, device)
        ann_id = jwt_parts(ann.access_token)[1]["sub"]
        path = f"/api/auth/admin/users/{ann_id}/mfa"
        assert_problem(await client.delete(path, headers=ann.bearer), 403, "insufficient_scope")
        assert (await password_step(client, "ann@example.org"))["mfa_required"]

        reset = await client.delete(path, headers=root.bearer)
        assert reset.status_code == 204
        again = await log_in(client, "ann@example.org")  # the password alone again
        assert jwt_parts(again.access_token)[1]["amr"] == ["pwd"]
        assert await db.fetchval("SELECT count(*) FROM mfa_recovery_codes") == 0
        assert await db.fetchval("SELECT count(*) FROM passkeys") == 0
        assert_problem(await passkey_log_in(client, device), 401, "passkey_unknown")
        event = await db.fetchrow(
            "SELECT actor, subject, details FROM audit_events WHERE event = 'mfa_reset_by_admin'"
        )
        assert json.loads(event["details"]) == {"totp": True, "passkeys": 2}
        assert event["subject"] == ann_id
        assert event["actor"] == jwt_parts(root.access_token)[1]["sub"]

        unknown = "/api/auth/admin/users/00000000-0000-0000-0000-000000000000/mfa"
        assert_problem(await client.delete(unknown, headers=root.bearer), 404)
        assert_problem(
            await client.delete("/api/auth/admin/users/not-a-uuid/mfa", headers=root.bearer), 422
        )
