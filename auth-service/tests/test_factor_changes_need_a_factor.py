"""Once a second factor is on, only a proof of one changes the second factors: turning an
authenticator app on ends the older sessions (which could otherwise undo it), a password
just confirmed again is not enough, removing a passkey ends the sessions it may have begun,
and every change is mailed. A log-in waiting for its second step dies with the password."""

from __future__ import annotations

import pytest

from tests.helpers import (
    PASSWORD,
    Login,
    assert_problem,
    jwt_parts,
    log_in,
    refresh,
    sign_up_verified,
)
from tests.mailbox import RESET
from tests.passkeyflows import enrol, passkey_log_in, prove_with_passkey
from tests.second_factor import (
    enrol_totp,
    password_step,
    prove_with_code,
    second_step,
)
from tests.softauthenticator import SoftAuthenticator

ANN = "ann@example.org"
NEW = "copper-meadow-93"
ADD_OPTIONS = ("POST", "/api/auth/webauthn/register/options")


async def _reauth_with_password(client, login: Login) -> Login:
    answer = await client.post(
        "/api/auth/reauth", json={"password": PASSWORD}, headers=login.bearer
    )
    assert answer.status_code == 200, answer.text
    return Login(answer.json()["access_token"], login.refresh_token, answer)


async def _ended(client, login: Login) -> bool:
    me = await client.get("/api/auth/me", headers=login.bearer)
    renewed = await refresh(client, login.refresh_token)
    return me.status_code == 401 and renewed.status_code == 401


async def test_an_older_session_cannot_undo_the_app_the_owner_turned_on(client, db) -> None:
    """The attack: a session from before (its holder knows the password) adds a
    passkey after /reauth {password}, signs in with it after the owner's password change,
    then turns the app off."""
    owner = await sign_up_verified(client, ANN)
    attacker = await log_in(client, ANN)  # an older session, e.g. on a shared computer
    enrolled = await enrol_totp(client, owner)

    assert await _ended(client, attacker)
    sid = jwt_parts(attacker.access_token)[1]["sid"]
    fed = "SELECT count(*) FROM revocations WHERE kind = 'session' AND value = $1"
    assert await db.fetchval(fed, sid) == 1  # resource servers are told too
    reauth = await client.post(
        "/api/auth/reauth", json={"password": PASSWORD}, headers=attacker.bearer
    )
    assert_problem(reauth, 401)
    options = await client.post(
        "/api/auth/webauthn/register/options", json={"name": "Mine"}, headers=attacker.bearer
    )
    assert_problem(options, 401)
    off = await client.delete("/api/auth/mfa/totp", headers=attacker.bearer)
    assert_problem(off, 401)
    # The password alone no longer opens a session either.
    assert (await password_step(client, ANN))["mfa_required"]
    assert await db.fetchval("SELECT count(*) FROM passkeys") == 0
    assert await db.fetchval("SELECT count(*) FROM mfa_totp WHERE confirmed_at IS NOT NULL")
    assert enrolled.recovery_codes and not await _ended(client, owner)


# What each change answers once the code is proved (409: the app is on already).
ALLOWED = {
    ("DELETE", "/api/auth/mfa/totp"): 204,
    ("POST", "/api/auth/mfa/recovery-codes"): 200,
    ("POST", "/api/auth/mfa/totp"): 409,
    ADD_OPTIONS: 200,
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/auth/mfa/totp"),
        ("POST", "/api/auth/mfa/recovery-codes"),
        ("POST", "/api/auth/mfa/totp"),
        ADD_OPTIONS,
    ],
)
async def test_with_an_app_on_a_password_proof_does_not_change_factors(
    client, db, method: str, path: str
) -> None:
    owner = await sign_up_verified(client, ANN)
    enrolled = await enrol_totp(client, owner)
    proved = await _reauth_with_password(client, owner)
    assert jwt_parts(proved.access_token)[1]["amr"] == ["pwd"]
    body = {"name": "Mine"} if path.endswith("options") else None
    refused = await client.request(method, path, json=body, headers=proved.bearer)
    problem = assert_problem(refused, 401, "insufficient_user_authentication")
    assert problem["second_factor"] is True and "password alone" in problem["detail"]
    assert 'error="insufficient_user_authentication"' in refused.headers["www-authenticate"]
    assert await db.fetchval("SELECT count(*) FROM mfa_totp WHERE confirmed_at IS NOT NULL")

    await prove_with_code(client, proved, enrolled)
    allowed = await client.request(method, path, json=body, headers=proved.bearer)
    assert allowed.status_code == ALLOWED[(method, path)], allowed.text


async def test_with_a_passkey_only_a_passkey_adds_or_removes_one(client, db) -> None:
    owner = await sign_up_verified(client, ANN)
    device = SoftAuthenticator()
    created = await enrol(client, owner, device)  # the first: a recent password suffices
    proved = await _reauth_with_password(client, owner)
    options = await client.post(
        "/api/auth/webauthn/register/options", json={"name": "Two"}, headers=proved.bearer
    )
    assert_problem(options, 401, "insufficient_user_authentication")
    url = f"/api/auth/webauthn/credentials/{created['id']}"
    assert_problem(await client.delete(url, headers=proved.bearer), 401)
    await prove_with_passkey(client, proved, device)
    await enrol(client, proved, device, "Two")
    assert (await client.delete(url, headers=proved.bearer)).status_code == 204
    assert await db.fetchval("SELECT count(*) FROM passkeys") == 1


async def test_removing_a_passkey_ends_the_sessions_it_may_have_begun(client) -> None:
    """The owner finds a passkey they did not add (the mail told them) and removes it: the
    session its holder opened with it must not outlive it."""
    owner = await sign_up_verified(client, ANN)
    own, stolen = SoftAuthenticator(), SoftAuthenticator()
    await enrol(client, owner, own)
    await enrol(client, await prove_with_passkey(client, owner, own), stolen, "Not mine")
    session = await passkey_log_in(client, stolen)
    assert session.status_code == 200, session.text
    intruder = Login(session.json()["access_token"], session.cookies["refresh_token"], session)

    listed = (await client.get("/api/auth/webauthn/credentials", headers=owner.bearer)).json()
    (theirs,) = [p for p in listed if p["name"] == "Not mine"]
    removed = await client.delete(
        f"/api/auth/webauthn/credentials/{theirs['id']}", headers=owner.bearer
    )
    assert removed.status_code == 204, removed.text
    assert await _ended(client, intruder)
    assert not await _ended(client, owner)
    assert_problem(await passkey_log_in(client, stolen), 401, "passkey_unknown")


async def test_each_change_to_the_second_factors_is_mailed(mail_client) -> None:
    async with mail_client() as (client, inbox):
        owner = await sign_up_verified(client, ANN)
        device = SoftAuthenticator()
        created = await enrol(client, owner, device, "Work laptop")
        enrolled = await enrol_totp(client, owner, device)
        await prove_with_code(client, owner, enrolled)
        renewed = await client.post("/api/auth/mfa/recovery-codes", headers=owner.bearer)
        assert renewed.status_code == 200
        url = f"/api/auth/webauthn/credentials/{created['id']}"
        assert (await client.delete(url, headers=owner.bearer)).status_code == 204
        assert (await client.delete("/api/auth/mfa/totp", headers=owner.bearer)).status_code == 204
        subjects = {
            "A passkey was added to your Gatehouse account": "Work laptop",
            "Two-step log-in was turned on for your Gatehouse account": "turned on",
            "New recovery codes were made for your Gatehouse account": "old codes",
            "A passkey was removed from your Gatehouse account": "Work laptop",
            "Two-step log-in was turned off for your Gatehouse account": "turned off",
        }
        for subject, words in subjects.items():
            (mail,) = await inbox.wait_for(ANN, subject)
            assert words in mail["Text"] and "/forgot-password" in mail["Text"]


async def test_a_log_in_waiting_for_its_second_step_dies_with_a_password_change(client) -> None:
    owner = await sign_up_verified(client, ANN)
    enrolled = await enrol_totp(client, owner)
    waiting = (await password_step(client, ANN))["mfa_token"]
    changed = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=owner.bearer,
    )
    assert changed.status_code == 204, changed.text
    stale = await second_step(client, waiting, code=enrolled.fresh_code())
    assert_problem(stale, 401, "invalid_mfa_token")
    fresh = (await password_step(client, ANN, NEW))["mfa_token"]
    assert (await second_step(client, fresh, code=enrolled.fresh_code())).status_code == 200


async def test_a_log_in_waiting_for_its_second_step_dies_with_a_reset(mail_client) -> None:
    async with mail_client() as (client, inbox):
        owner = await sign_up_verified(client, ANN)
        enrolled = await enrol_totp(client, owner)
        waiting = (await password_step(client, ANN))["mfa_token"]
        await client.post("/api/auth/password/forgot", json={"email": ANN})
        token = await inbox.token(ANN, RESET)
        reset = await client.post(
            "/api/auth/password/reset", json={"token": token, "new_password": NEW}
        )
        assert reset.status_code == 204, reset.text
        stale = await second_step(client, waiting, code=enrolled.fresh_code())
        assert_problem(stale, 401, "invalid_mfa_token")
