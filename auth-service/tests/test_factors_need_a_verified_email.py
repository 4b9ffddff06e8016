"""Pre-account takeover: whoever signs up with someone else's address must not keep a way
in once the owner takes the account back. A passkey or an authenticator app is enrolled
only on a verified email; what an older version let an unverified account enrol goes when
the address becomes verified (reset, confirmation link, email change)."""

from __future__ import annotations

import uuid

from tests.helpers import PASSWORD, Login, assert_problem, jwt_parts, log_in, refresh, sign_up
from tests.mailbox import CHANGE_CONFIRM, RESET, VERIFY
from tests.passkeyflows import enrol, legacy_passkey, passkey_log_in
from tests.second_factor import legacy_totp, password_step
from tests.softauthenticator import SoftAuthenticator

VICTIM = "victim@example.org"
NEW = "copper-meadow-93"
REMOVED = "Your Gatehouse passkeys and apps were removed"


def _user_id(login: Login) -> uuid.UUID:
    return uuid.UUID(jwt_parts(login.access_token)[1]["sub"])


async def _squat(client, email: str = VICTIM) -> tuple[Login, SoftAuthenticator]:
    """The attacker's account on the victim's address, unverified, with a passkey and an
    authenticator app stored as an older version let it enrol them."""
    squatter = await sign_up(client, email, "squatters-own-pass-77")
    device = SoftAuthenticator()
    await legacy_passkey(client, _user_id(squatter), device)
    await legacy_totp(client, _user_id(squatter))
    return squatter, device


async def _factor_rows(db) -> tuple[int, int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM passkeys"),
        await db.fetchval("SELECT count(*) FROM mfa_totp"),
        await db.fetchval("SELECT count(*) FROM mfa_recovery_codes"),
    )


async def test_an_unverified_account_can_enrol_neither_a_passkey_nor_an_app(client, db) -> None:
    squatter = await sign_up(client, VICTIM)
    options = await client.post(
        "/api/auth/webauthn/register/options", json={"name": "Mine"}, headers=squatter.bearer
    )
    body = assert_problem(options, 403, "email_not_verified")
    assert "verified" in body["detail"] and "link" in body["detail"]
    device = SoftAuthenticator()
    forged = device.create(
        {"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAAAAAAAAAAAAAAAAAAAA"}
    )
    registered = await client.post(
        "/api/auth/webauthn/register", json={"credential": forged}, headers=squatter.bearer
    )
    assert_problem(registered, 403, "email_not_verified")
    started = await client.post("/api/auth/mfa/totp", headers=squatter.bearer)
    assert_problem(started, 403, "email_not_verified")
    confirmed = await client.post(
        "/api/auth/mfa/totp/confirm", json={"code": "123456"}, headers=squatter.bearer
    )
    assert_problem(confirmed, 403, "email_not_verified")
    assert await _factor_rows(db) == (0, 0, 0)


async def test_the_owners_reset_removes_what_the_squatter_enrolled(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        squatter, device = await _squat(client)
        before = await passkey_log_in(client, device)
        assert before.status_code == 200, before.text  # the way in the attacker waits with
        assert (await password_step(client, VICTIM, "squatters-own-pass-77"))["mfa_required"]

        # The victim is told the address is taken, and resets the password.
        await client.post("/api/auth/password/forgot", json={"email": VICTIM})
        token = await inbox.token(VICTIM, RESET)
        reset = await client.post(
            "/api/auth/password/reset", json={"token": token, "new_password": NEW}
        )
        assert reset.status_code == 204, reset.text

        assert_problem(await passkey_log_in(client, device), 401, "passkey_unknown")
        assert_problem(await refresh(client, before.cookies.get("refresh_token")), 401)
        assert_problem(await refresh(client, squatter.refresh_token), 401)
        owner = await log_in(client, VICTIM, NEW)  # one step: no attacker's app in the way
        assert jwt_parts(owner.access_token)[1]["amr"] == ["pwd"]
        assert await _factor_rows(db) == (0, 0, 0)
        (notice,) = await inbox.wait_for(VICTIM, REMOVED)
    assert "Every passkey and authenticator app" in notice["Text"]
    event = await db.fetchval(
        "SELECT details FROM audit_events WHERE event = 'factors_removed_on_email_verification'"
    )
    assert '"passkeys": 1' in event and '"totp": 1' in event


async def test_confirming_the_address_removes_what_was_enrolled_before(mail_client, db) -> None:
    """The owner follows the confirmation link of the attacker's sign-up (it came to their
    inbox); the reset that follows no longer verifies anything: the removal must come now."""
    async with mail_client() as (client, inbox):
        squatter, device = await _squat(client)
        session = await passkey_log_in(client, device)
        token = await inbox.token(VICTIM, VERIFY)
        assert (
            await client.post("/api/auth/email/verify", json={"token": token})
        ).status_code == 204
        assert_problem(await passkey_log_in(client, device), 401, "passkey_unknown")
        assert_problem(await refresh(client, session.cookies.get("refresh_token")), 401)
        assert_problem(await client.get("/api/auth/me", headers=squatter.bearer), 401)
        assert await _factor_rows(db) == (0, 0, 0)
        await inbox.wait_for(VICTIM, REMOVED)


async def test_an_email_change_that_verifies_the_account_removes_what_was_before(
    mail_client, db
) -> None:
    async with mail_client() as (client, inbox):
        squatter, device = await _squat(client, "attacker@example.org")
        changed = await client.post(
            "/api/auth/email/change",
            json={"new_email": VICTIM, "password": "squatters-own-pass-77"},
            headers=squatter.bearer,
        )
        assert changed.status_code == 202, changed.text
        token = await inbox.token(VICTIM, CHANGE_CONFIRM)
        confirmed = await client.post("/api/auth/email/change/confirm", json={"token": token})
        assert confirmed.status_code == 204, confirmed.text
        assert_problem(await passkey_log_in(client, device), 401, "passkey_unknown")
        assert await _factor_rows(db) == (0, 0, 0)


async def test_a_reset_of_a_verified_account_keeps_its_own_passkey(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        owner = await sign_up(client, VICTIM)
        device = SoftAuthenticator()
        await enrol(client, owner, device)  # verifies the email first, as the owner would
        await client.post("/api/auth/password/forgot", json={"email": VICTIM})
        token = await inbox.token(VICTIM, RESET)
        await client.post("/api/auth/password/reset", json={"token": token, "new_password": NEW})
        assert (await passkey_log_in(client, device)).status_code == 200
        assert await db.fetchval("SELECT count(*) FROM passkeys") == 1
        assert await inbox.messages(VICTIM, REMOVED) == []


async def test_the_creation_options_need_a_verified_email_even_with_a_fresh_log_in(
    client,
) -> None:
    squatter = await sign_up(client, VICTIM)
    again = await log_in(client, VICTIM, PASSWORD)
    for login in (squatter, again):
        answer = await client.post(
            "/api/auth/webauthn/register/options", json={"name": "x"}, headers=login.bearer
        )
        assert_problem(answer, 403, "email_not_verified")
