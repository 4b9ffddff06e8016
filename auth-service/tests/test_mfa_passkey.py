"""A passkey as the second step of a password log-in (`POST /login/mfa {webauthn}`): the
methods offered, what the session then says, and refusals counted like wrong codes."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem, jwt_parts, refresh, refresh_cookie_of, sign_up_verified
from tests.passkeyflows import enrol, login_options
from tests.second_factor import Enrolled, enrol_totp, password_step, second_step
from tests.softauthenticator import SoftAuthenticator

EMAIL = "ann@example.org"


async def _with_totp_and_passkey(client, email: str = EMAIL) -> tuple[Enrolled, SoftAuthenticator]:
    login = await sign_up_verified(client, email)
    device = SoftAuthenticator()
    await enrol(client, login, device)
    return await enrol_totp(client, login, device), device


async def _passkey_step(client, token: str, device: SoftAuthenticator, **spoil):
    assertion = device.get(await login_options(client), **spoil)
    return await second_step(client, token, webauthn=assertion)


async def _events(db, event: str) -> list[str]:
    rows = await db.fetch("SELECT details FROM audit_events WHERE event = $1 ORDER BY id", event)
    return [row["details"] for row in rows]


async def test_the_password_step_offers_a_passkey_only_to_users_with_one(client) -> None:
    await enrol_totp(client, await sign_up_verified(client, "bob@example.org"))
    assert (await password_step(client, "bob@example.org"))["methods"] == ["totp", "recovery_code"]
    await _with_totp_and_passkey(client)
    methods = (await password_step(client, EMAIL))["methods"]
    assert methods == ["totp", "recovery_code", "webauthn"]


async def test_a_passkey_completes_the_log_in_with_amr_pwd_hwk_mfa_and_a_refresh_keeps_it(
    client, db
) -> None:
    _, device = await _with_totp_and_passkey(client)
    token = (await password_step(client, EMAIL))["mfa_token"]
    done = await _passkey_step(client, token, device)
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    assert jwt_parts(done.json()["access_token"])[1]["amr"] == ["pwd", "hwk", "mfa"]
    renewed = await refresh(client, refresh_cookie_of(done))
    assert jwt_parts(renewed.json()["access_token"])[1]["amr"] == ["pwd", "hwk", "mfa"]
    assert '"hwk"' in (await _events(db, "login_succeeded"))[-1]
    assert await db.fetchval("SELECT last_used_at IS NOT NULL FROM passkeys")
    assert_problem(await _passkey_step(client, token, device), 401, "invalid_mfa_token")


async def test_another_users_passkey_is_refused_counted_and_audited(client, db) -> None:
    await _with_totp_and_passkey(client)
    _, bobs = await _with_totp_and_passkey(client, "bob@example.org")
    token = (await password_step(client, EMAIL))["mfa_token"]
    for left in (4, 3, 2, 1):
        refused = await _passkey_step(client, token, bobs)
        detail = assert_problem(refused, 401, "invalid_mfa_code")["detail"]
        assert "passkey" in detail and f"{left} more" in detail
    assert_problem(await _passkey_step(client, token, bobs), 401, "invalid_mfa_token")
    assert len(await _events(db, "passkey_assertion_failed")) == 5
    failed = await _events(db, "mfa_failed")
    assert len(failed) == 5 and all('"method": "webauthn"' in d for d in failed)


async def test_refused_passkeys_count_against_the_accounts_failed_log_ins(make_client) -> None:
    async with make_client(login_max_failures_per_account=3) as client:
        _, device = await _with_totp_and_passkey(client)
        _, bobs = await _with_totp_and_passkey(client, "bob@example.org")
        token = (await password_step(client, EMAIL))["mfa_token"]
        for _ in range(3):
            assert_problem(await _passkey_step(client, token, bobs), 401, "invalid_mfa_code")
        limited = await _passkey_step(client, token, device)
    assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) > 0


async def test_a_replayed_passkey_assertion_is_refused(client, db) -> None:
    _, device = await _with_totp_and_passkey(client)
    first = (await password_step(client, EMAIL))["mfa_token"]
    assertion = device.get(await login_options(client))
    assert (await second_step(client, first, webauthn=assertion)).status_code == 200
    again = (await password_step(client, EMAIL))["mfa_token"]
    replayed = await second_step(client, again, webauthn=assertion)
    assert_problem(replayed, 401, "invalid_mfa_code")
    (details,) = await _events(db, "passkey_assertion_failed")
    assert '"reason": "challenge"' in details


async def test_a_passkey_of_a_user_without_it_offered_still_completes_nothing(client) -> None:
    """A user with TOTP and no passkey: an assertion (of someone else's) is a wrong proof."""
    await enrol_totp(client, await sign_up_verified(client, EMAIL))
    bob = await sign_up_verified(client, "bob@example.org")
    device = SoftAuthenticator()
    await enrol(client, bob, device)
    token = (await password_step(client, EMAIL))["mfa_token"]
    assert_problem(await _passkey_step(client, token, device), 401, "invalid_mfa_code")


@pytest.mark.parametrize("webauthn", [{}, [], "x", {"id": "AA"}])
async def test_a_malformed_passkey_answer_is_a_4xx_problem(client, webauthn) -> None:
    await _with_totp_and_passkey(client)
    token = (await password_step(client, EMAIL))["mfa_token"]
    answer = await second_step(client, token, webauthn=webauthn)
    assert_problem(answer, 422, "validation_failed")


async def test_passkey_log_in_options_are_limited_per_address(make_client) -> None:
    async with make_client(webauthn_options_per_minute=3) as client:
        for _ in range(3):
            await login_options(client)
        limited = await client.post("/api/auth/webauthn/login/options")
    assert_problem(limited, 429, "rate_limited")
    assert 0 < int(limited.headers["retry-after"]) <= 60
