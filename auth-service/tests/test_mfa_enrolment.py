"""Setting up an authenticator app (TOTP, RFC 6238), its recovery codes, turning it off."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pyotp

from tests.helpers import assert_problem, jwt_parts, log_in, sign_up_verified
from tests.second_factor import (
    enrol_totp,
    fix_clock,
    password_step,
    prove_with_code,
    second_step,
)

RECOVERY_CODE = re.compile(r"^[a-z2-7]{5}-[a-z2-7]{5}$")


async def _mfa_enabled(client, login) -> bool:
    return bool((await client.get("/api/auth/me", headers=login.bearer)).json()["mfa_enabled"])


async def test_setting_up_an_app_shows_its_secret_and_a_qr_code_and_the_first_code_turns_it_on(
    client, db
) -> None:
    clock = fix_clock(client)
    login = await sign_up_verified(client, "ann@example.org")
    started = await client.post("/api/auth/mfa/totp", headers=login.bearer)
    assert started.status_code == 200, started.text
    assert started.headers["cache-control"] == "no-store"
    body = started.json()
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Gatehouse:ann%40example.org")
    assert parse_qs(uri.query) == {"secret": [body["secret"]], "issuer": ["Gatehouse"]}
    # A standalone SVG document (namespaced root): browsers draw it as an <img>.
    qr = ET.fromstring(body["qr_svg"])  # noqa: S314 - the service's own output
    assert qr.tag == "{http://www.w3.org/2000/svg}svg" and "<path" in body["qr_svg"]
    assert not await _mfa_enabled(client, login)  # pending: log-in is still one step
    assert "access_token" in (await log_in(client, "ann@example.org")).response.json()

    code = pyotp.TOTP(body["secret"]).at(clock.now)
    confirmed = await client.post(
        "/api/auth/mfa/totp/confirm", json={"code": code}, headers=login.bearer
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(c) for c in codes), codes
    assert await _mfa_enabled(client, login)
    assert (await password_step(client, "ann@example.org"))["methods"] == [
        "totp",
        "recovery_code",
    ]
    # At rest: the seed sealed, the recovery codes as hashes only.
    sealed = await db.fetchval("SELECT secret_sealed FROM mfa_totp")
    assert body["secret"].encode() not in sealed
    hashes = [r["code_hash"] for r in await db.fetch("SELECT code_hash FROM mfa_recovery_codes")]
    assert len(hashes) == 10 and not set(hashes) & {c.replace("-", "") for c in codes}


async def test_a_wrong_first_code_does_not_turn_the_app_on(client) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    clock = fix_clock(client)
    secret = (await client.post("/api/auth/mfa/totp", headers=login.bearer)).json()["secret"]
    wrong = pyotp.TOTP(secret).at(clock.now + 90)  # three steps away
    refused = await client.post(
        "/api/auth/mfa/totp/confirm", json={"code": wrong}, headers=login.bearer
    )
    assert_problem(refused, 403, "wrong_code")
    assert not await _mfa_enabled(client, login)
    assert "access_token" in (await log_in(client, "ann@example.org")).response.json()
    right = pyotp.TOTP(secret).at(clock.now)
    done = await client.post(
        "/api/auth/mfa/totp/confirm", json={"code": right}, headers=login.bearer
    )
    assert done.status_code == 200


async def test_a_pending_set_up_can_be_restarted_and_only_the_new_secret_confirms(client) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    clock = fix_clock(client)
    first = (await client.post("/api/auth/mfa/totp", headers=login.bearer)).json()["secret"]
    second = (await client.post("/api/auth/mfa/totp", headers=login.bearer)).json()["secret"]
    assert first != second
    old = await client.post(
        "/api/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(first).at(clock.now)},
        headers=login.bearer,
    )
    assert_problem(old, 403, "wrong_code")
    new = await client.post(
        "/api/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(second).at(clock.now)},
        headers=login.bearer,
    )
    assert new.status_code == 200


async def test_confirming_without_a_set_up_or_setting_up_twice_is_a_conflict(client) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    nothing = await client.post(
        "/api/auth/mfa/totp/confirm", json={"code": "123456"}, headers=login.bearer
    )
    assert_problem(nothing, 409, "mfa_not_pending")
    none_yet = await client.post("/api/auth/mfa/recovery-codes", headers=login.bearer)
    assert_problem(none_yet, 409, "mfa_not_enabled")
    await prove_with_code(client, login, await enrol_totp(client, login))
    again = await client.post("/api/auth/mfa/totp", headers=login.bearer)
    assert_problem(again, 409, "mfa_already_enabled")


async def test_turning_the_app_off_removes_it_and_the_recovery_codes(client, db) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    enrolled = await enrol_totp(client, login)
    await prove_with_code(client, login, enrolled)
    off = await client.delete("/api/auth/mfa/totp", headers=login.bearer)
    assert off.status_code == 204
    assert await db.fetchval("SELECT count(*) FROM mfa_totp") == 0
    assert await db.fetchval("SELECT count(*) FROM mfa_recovery_codes") == 0
    assert not await _mfa_enabled(client, login)
    again = await log_in(client, "ann@example.org")  # one step again
    assert jwt_parts(again.access_token)[1]["amr"] == ["pwd"]
    events = [r["event"] for r in await db.fetch("SELECT event FROM audit_events ORDER BY id")]
    assert "mfa_enabled" in events and "mfa_disabled" in events
    assert enrolled.recovery_codes  # (they died with it: see the login tests)


async def test_new_recovery_codes_void_the_old_set(client) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    enrolled = await enrol_totp(client, login)
    await prove_with_code(client, login, enrolled)
    renewed = await client.post("/api/auth/mfa/recovery-codes", headers=login.bearer)
    assert renewed.status_code == 200
    new_codes = renewed.json()["recovery_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(enrolled.recovery_codes)
    token = (await password_step(client, "ann@example.org"))["mfa_token"]
    old = await second_step(client, token, recovery_code=enrolled.recovery_codes[0])
    assert_problem(old, 401, "invalid_mfa_code")
    new = await second_step(client, token, recovery_code=new_codes[0])
    assert new.status_code == 200, new.text


async def test_changing_second_factors_needs_a_recent_log_in(client, db) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    await enrol_totp(client, login)
    sid = jwt_parts(login.access_token)[1]["sid"]
    await db.execute(
        "UPDATE sessions SET auth_time = auth_time - interval '10 minutes' WHERE id = $1::uuid",
        sid,
    )
    old = (
        await client.post(
            "/api/auth/refresh",
            headers={"X-Requested-With": "t", "Cookie": f"refresh_token={login.refresh_token}"},
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {old}"}
    for method, path in [
        ("POST", "/api/auth/mfa/totp"),
        ("DELETE", "/api/auth/mfa/totp"),
        ("POST", "/api/auth/mfa/recovery-codes"),
    ]:
        refused = await client.request(method, path, headers=headers)
        assert_problem(refused, 401, "insufficient_user_authentication")
        assert "max_age=" in refused.headers["www-authenticate"]
    assert await db.fetchval("SELECT count(*) FROM mfa_totp") == 1
