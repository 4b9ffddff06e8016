"""The two-step log-in of an account with an authenticator app: the `mfa_token`, codes
accepted once only, recovery codes, and what the tokens then say (`amr`, `auth_time`)."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from tests.helpers import assert_problem, jwt_parts, refresh, refresh_cookie_of, sign_up_verified
from tests.second_factor import enrol_totp, password_step, second_step

EMAIL = "ann@example.org"


@pytest.fixture
async def enrolled(client):
    return await enrol_totp(client, await sign_up_verified(client, EMAIL))


async def test_the_password_step_of_an_mfa_account_gives_no_token_and_no_cookie(
    client, enrolled
) -> None:
    answer = await client.post(
        "/api/auth/login", json={"email": EMAIL, "password": "lantern-quarry-47"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"mfa_required", "mfa_token", "methods"}
    assert body["mfa_required"] is True and body["methods"] == ["totp", "recovery_code"]
    assert "set-cookie" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"
    assert body["mfa_token"].count(".") == 0  # opaque, not a JWT


async def test_a_code_completes_the_log_in_with_amr_pwd_otp_mfa_and_a_refresh_keeps_it(
    client, enrolled, db
) -> None:
    token = (await password_step(client, EMAIL))["mfa_token"]
    before = int(time.time())
    done = await second_step(client, token, code=enrolled.fresh_code())
    assert done.status_code == 200, done.text
    claims = jwt_parts(done.json()["access_token"])[1]
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert before - 1 <= claims["auth_time"] <= int(time.time())
    cookie = refresh_cookie_of(done)
    await db.execute("UPDATE sessions SET auth_time = auth_time - interval '10 minutes'")
    renewed = await refresh(client, cookie)
    later = jwt_parts(renewed.json()["access_token"])[1]
    assert later["amr"] == ["pwd", "otp", "mfa"]
    assert later["auth_time"] == claims["auth_time"] - 600  # never renewed by a refresh
    event = await db.fetchrow(
        "SELECT details FROM audit_events WHERE event = 'login_succeeded' ORDER BY id DESC"
    )
    assert '"otp"' in event["details"]


async def test_a_recovery_code_completes_the_log_in_once_typed_loosely(client, enrolled) -> None:
    code = enrolled.recovery_codes[3]
    typed = f"  {code[:5].upper()} {code[6:].upper()} "
    token = (await password_step(client, EMAIL))["mfa_token"]
    done = await second_step(client, token, recovery_code=typed)
    assert done.status_code == 200, done.text
    assert jwt_parts(done.json()["access_token"])[1]["amr"] == ["pwd", "otp", "mfa"]
    again = (await password_step(client, EMAIL))["mfa_token"]
    assert_problem(await second_step(client, again, recovery_code=code), 401, "invalid_mfa_code")


async def test_a_code_is_accepted_once_only(client, enrolled) -> None:
    code = enrolled.fresh_code()
    first = (await password_step(client, EMAIL))["mfa_token"]
    assert (await second_step(client, first, code=code)).status_code == 200
    second = (await password_step(client, EMAIL))["mfa_token"]
    assert_problem(await second_step(client, second, code=code), 401, "invalid_mfa_code")
    # ...and an older step's code after a newer one was used is refused too.
    older = enrolled.code(-1)
    assert_problem(await second_step(client, second, code=older), 401, "invalid_mfa_code")


async def test_two_log_ins_racing_with_one_code_get_one_session(client, enrolled) -> None:
    code = enrolled.fresh_code()
    tokens = [(await password_step(client, EMAIL))["mfa_token"] for _ in range(2)]
    answers = await asyncio.gather(*(second_step(client, t, code=code) for t in tokens))
    assert sorted(a.status_code for a in answers) == [200, 401]


async def test_two_log_ins_racing_with_one_recovery_code_get_one_session(client, enrolled) -> None:
    code = enrolled.recovery_codes[0]
    tokens = [(await password_step(client, EMAIL))["mfa_token"] for _ in range(2)]
    answers = await asyncio.gather(*(second_step(client, t, recovery_code=code) for t in tokens))
    assert sorted(a.status_code for a in answers) == [200, 401]


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
async def test_codes_one_step_off_are_accepted_and_two_steps_off_are_not(
    client, enrolled, offset: int, accepted: bool
) -> None:
    enrolled.clock.tick(5)  # well past the step the enrolment used
    token = (await password_step(client, EMAIL))["mfa_token"]
    answer = await second_step(client, token, code=enrolled.code(offset))
    assert answer.status_code == (200 if accepted else 401), answer.text


async def test_an_mfa_token_is_single_use(client, enrolled) -> None:
    token = (await password_step(client, EMAIL))["mfa_token"]
    assert (await second_step(client, token, code=enrolled.fresh_code())).status_code == 200
    replay = await second_step(client, token, code=enrolled.fresh_code())
    assert_problem(replay, 401, "invalid_mfa_token")


async def test_two_second_steps_racing_on_one_mfa_token_get_one_session(client, enrolled) -> None:
    token = (await password_step(client, EMAIL))["mfa_token"]
    codes = [enrolled.fresh_code(), enrolled.recovery_codes[0]]
    answers = await asyncio.gather(
        second_step(client, token, code=codes[0]),
        second_step(client, token, recovery_code=codes[1]),
    )
    assert sorted(a.status_code for a in answers) == [200, 401]


async def test_an_expired_mfa_token_is_refused(client, enrolled, db) -> None:
    token = (await password_step(client, EMAIL))["mfa_token"]
    await db.execute("UPDATE mfa_challenges SET expires_at = now() - interval '1 second'")
    answer = await second_step(client, token, code=enrolled.fresh_code())
    assert_problem(answer, 401, "invalid_mfa_token")
    assert "set-cookie" not in answer.headers


async def test_five_wrong_codes_void_the_mfa_token(client, enrolled, db) -> None:
    token = (await password_step(client, EMAIL))["mfa_token"]
    for left in (4, 3, 2, 1):
        wrong = await second_step(client, token, code="000000")
        assert f"{left} more" in assert_problem(wrong, 401, "invalid_mfa_code")["detail"]
    assert_problem(await second_step(client, token, code="000000"), 401, "invalid_mfa_token")
    right = await second_step(client, token, code=enrolled.fresh_code())
    assert_problem(right, 401, "invalid_mfa_token")
    failures = await db.fetchval("SELECT count(*) FROM audit_events WHERE event = 'mfa_failed'")
    assert failures == 5


async def test_wrong_codes_count_against_the_accounts_failed_log_ins(make_client) -> None:
    async with make_client(login_max_failures_per_account=3) as client:
        enrolled = await enrol_totp(client, await sign_up_verified(client, EMAIL))
        token = (await password_step(client, EMAIL))["mfa_token"]
        for _ in range(3):
            assert_problem(await second_step(client, token, code="000000"), 401)
        limited = await second_step(client, token, code=enrolled.fresh_code())
        assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) > 0
        # A right password does not wipe the wrong codes out: the account stays limited.
        again = await client.post(
            "/api/auth/login", json={"email": EMAIL, "password": "lantern-quarry-47"}
        )
        assert_problem(again, 429, "rate_limited")


async def test_an_mfa_token_is_no_bearer_token(client, enrolled) -> None:
    token = (await password_step(client, EMAIL))["mfa_token"]
    answer = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(answer, 401, "invalid_token")
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


async def test_another_users_code_does_not_complete_a_log_in(client, enrolled) -> None:
    bob = await enrol_totp(client, await sign_up_verified(client, "bob@example.org"))
    token = (await password_step(client, EMAIL))["mfa_token"]
    assert_problem(await second_step(client, token, code=bob.fresh_code()), 401, "invalid_mfa_code")
    stolen = await second_step(client, token, recovery_code=bob.recovery_codes[0])
    assert_problem(stolen, 401, "invalid_mfa_code")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mfa_token": "x"},
        {"code": "123456"},
        {"mfa_token": "x", "code": "123456", "recovery_code": "abcde-fghij"},
        {"mfa_token": "x", "code": 123456},
        {"mfa_token": "x", "code": ""},
        {"mfa_token": "x", "code": "1" * 65},
        {"mfa_token": "x", "webauthn": {}},
        {"mfa_token": ["x"], "code": "123456"},
        [],
    ],
)
async def test_malformed_second_steps_are_422_problems(client, body) -> None:
    assert_problem(await client.post("/api/auth/login/mfa", json=body), 422)


async def test_a_second_step_that_is_not_json_is_a_400_problem(client) -> None:
    answer = await client.post(
        "/api/auth/login/mfa", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert_problem(answer, 400, "malformed_json")


async def test_an_unknown_mfa_token_is_401(client) -> None:
    answer = await second_step(client, "not-a-token", code="123456")
    assert_problem(answer, 401, "invalid_mfa_token")


async def test_the_periodic_prune_deletes_expired_mfa_tokens_and_keeps_live_ones(
    make_client, db
) -> None:
    async with make_client(revocation_prune_interval=0.05) as client:
        enrolled = await enrol_totp(client, await sign_up_verified(client, EMAIL))
        live = (await password_step(client, EMAIL))["mfa_token"]
        abandoned = (await password_step(client, EMAIL))["mfa_token"]  # never completed
        # It expires; no log-in follows that would clear it on the way.
        expired = hashlib.sha256(abandoned.encode()).hexdigest()
        await db.execute(
            "UPDATE mfa_challenges SET expires_at = now() - interval '1 second' "
            "WHERE token_hash = $1",
            expired,
        )

        count = "SELECT count(*) FROM mfa_challenges WHERE token_hash = $1"
        for _ in range(200):  # the next prune run deletes it
            if await db.fetchval(count, expired) == 0:
                break
            await asyncio.sleep(0.05)
        assert await db.fetchval(count, expired) == 0
        assert await db.fetchval("SELECT count(*) FROM mfa_challenges") == 1
        done = await second_step(client, live, code=enrolled.fresh_code())
        assert done.status_code == 200, done.text
