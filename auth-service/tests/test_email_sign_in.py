"""Sign-in by mail, read from the real mail: one message with a link and a 6-digit code,
either of which signs in once, the newest only, for 10 minutes, 5 wrong codes at most;
nothing that tells whether an email has an account."""

from __future__ import annotations

import asyncio
import hashlib
import re

from tests.helpers import (
    PASSWORD,
    assert_problem,
    end_mail_cooldowns,
    jwt_parts,
    log_in,
    refresh_cookie_of,
    registry,
    sign_up,
    sign_up_verified,
)
from tests.mailbox import RESET, Inbox

SIGN_IN = "Your Gatehouse sign-in code"
ANN = "ann@example.org"
_CODE = re.compile(r"sign-in code: (\d{6})")


async def request_mail(client, email: str, address: str = "192.0.2.10"):
    return await client.post(
        "/api/auth/login/email", json={"email": email}, headers={"X-Forwarded-For": address}
    )


async def verify(client, address: str = "192.0.2.10", **proof: str):
    return await client.post(
        "/api/auth/login/email/verify", json=proof, headers={"X-Forwarded-For": address}
    )


async def mailed(inbox: Inbox, to: str = ANN, count: int = 1) -> tuple[str, str]:
    """The token and the code of the newest of `count` sign-in mails to `to`."""
    message = (await inbox.wait_for(to, SIGN_IN, count))[-1]
    match = _CODE.search(message["Text"])
    assert match, message["Text"]
    return await inbox.token(to, SIGN_IN, count), match.group(1)


async def test_one_mail_carries_a_link_to_the_login_link_page_and_a_code(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        answer = await request_mail(client, "  ann@Example.ORG ")
        assert answer.status_code == 202, answer.text
        link = await inbox.link(ANN, SIGN_IN)
        (mail,) = await inbox.messages(ANN, SIGN_IN)
        token, code = await mailed(inbox)
    assert link.startswith("http://localhost:8080/login-link#token=")
    assert len(token) == 43 and "10 minutes" in mail["Text"]
    assert f'href="{link}"' in mail["HTML"] and code in mail["HTML"]
    row = await db.fetchrow("SELECT token_hash, code_hash FROM email_sign_ins")
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert code not in row["code_hash"]
    assert row["code_hash"] != hashlib.sha256(code.encode()).hexdigest()  # keyed, not plain


async def test_the_code_signs_in_with_amr_email_and_verifies_the_email(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        _, code = await mailed(inbox)
        answer = await verify(client, email=ANN, code=f"{code[:3]} {code[3:]}")
        assert answer.status_code == 200, answer.text
        assert refresh_cookie_of(answer)
        claims = jwt_parts(answer.json()["access_token"])[1]
        me = await client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
        )
    assert claims["amr"] == ["email"] and claims["email"] == ANN
    assert me.json()["email_verified"] is True
    event = await db.fetchrow("SELECT details FROM audit_events WHERE event = 'login_succeeded'")
    assert '"email"' in event["details"]


async def test_the_link_signs_in_once_and_then_neither_it_nor_the_code_works(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        token, code = await mailed(inbox)
        assert (await verify(client, token=token)).status_code == 200
        assert_problem(await verify(client, token=token), 400, "link_invalid")
        assert_problem(await verify(client, email=ANN, code=code), 401, "invalid_sign_in_code")


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        known = await request_mail(client, ANN)
        unknown = await request_mail(client, "nobody@example.org")
        await inbox.wait_for(ANN, SIGN_IN)
        await asyncio.sleep(0.5)  # the sender's poll, had anything been queued
        assert await inbox.messages("nobody@example.org") == []
        refused = await verify(client, email="nobody@example.org", code="123456")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.headers.get("set-cookie") == unknown.headers.get("set-cookie")
    assert await db.fetchval("SELECT count(*) FROM email_sign_ins") == 1
    assert await db.fetchval("SELECT count(*) FROM users") == 1
    assert_problem(refused, 401, "invalid_sign_in_code")


async def test_a_new_request_replaces_the_older_link_and_code(mail_client, redis_server) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        old_token, old_code = await mailed(inbox)
        await end_mail_cooldowns(redis_server.url())
        await request_mail(client, ANN)
        new_token, new_code = await mailed(inbox, count=2)
        assert old_code != new_code or old_token != new_token
        assert_problem(await verify(client, token=old_token), 400)
        if old_code != new_code:
            assert_problem(await verify(client, email=ANN, code=old_code), 401)
        assert (await verify(client, email=ANN, code=new_code)).status_code == 200


async def test_a_code_expires_after_ten_minutes(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        token, code = await mailed(inbox)
        registry(client).clock.advance(10 * 60 + 1)
        assert_problem(await verify(client, email=ANN, code=code), 401, "invalid_sign_in_code")
        assert_problem(await verify(client, token=token), 400)


async def test_five_wrong_codes_void_the_code_and_the_link(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        token, code = await mailed(inbox)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for left in (4, 3, 2, 1):
            answer = await verify(client, email=ANN, code=wrong)
            assert f"{left} more tries" in assert_problem(answer, 401)["detail"]
        assert_problem(await verify(client, email=ANN, code=wrong), 401)
        assert_problem(await verify(client, email=ANN, code=code), 401, "invalid_sign_in_code")
        assert_problem(await verify(client, token=token), 400)


async def test_a_hundred_wrong_codes_at_once_count_exactly_five(mail_client, db) -> None:
    async with mail_client(login_max_failures_per_ip=1000) as (client, inbox):
        registry(client).limiter.sleep = lambda _seconds: asyncio.sleep(0)
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        _, code = await mailed(inbox)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        answers = await asyncio.gather(
            *(verify(client, f"198.51.100.{i}", email=ANN, code=wrong) for i in range(100))
        )
        assert {a.status_code for a in answers} == {401}
        assert await db.fetchval("SELECT failures FROM email_sign_ins") == 5
        assert_problem(await verify(client, "203.0.113.9", email=ANN, code=code), 401)


async def test_wrong_codes_count_against_the_accounts_failed_log_ins(mail_client) -> None:
    async with mail_client(login_max_failures_per_account=2) as (client, inbox):
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        _, code = await mailed(inbox)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(2):
            assert_problem(await verify(client, email=ANN, code=wrong), 401)
        limited = await verify(client, email=ANN, code=code)
        assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) > 0


async def test_requests_are_limited_per_client_address(mail_client) -> None:
    async with mail_client(mail_requests_per_ip=2) as (client, _inbox):
        for email in ("a@example.org", "b@example.org"):
            assert (await request_mail(client, email)).status_code == 202
        limited = await request_mail(client, "c@example.org")
        assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) > 0
        assert (await request_mail(client, "c@example.org", "192.0.2.99")).status_code == 202


async def test_one_email_gets_one_mail_per_cooldown(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        first, second = await request_mail(client, ANN), await request_mail(client, ANN)
        assert first.json() == second.json() and second.status_code == 202
        await inbox.wait_for(ANN, SIGN_IN)
        await asyncio.sleep(0.5)
        assert len(await inbox.messages(ANN, SIGN_IN)) == 1


async def test_turned_off_both_endpoints_answer_404(mail_client) -> None:
    async with mail_client(email_login=False) as (client, _inbox):
        await sign_up(client, ANN)
        assert_problem(await request_mail(client, ANN), 404, "not_found")
        assert_problem(await verify(client, email=ANN, code="123456"), 404, "not_found")


async def test_with_sign_up_on_an_unknown_email_gets_a_verified_account(mail_client, db) -> None:
    async with mail_client(email_signup=True) as (client, inbox):
        await sign_up(client, ANN)
        known = await request_mail(client, ANN)
        unknown = await request_mail(client, "new@example.org")
        _, code = await mailed(inbox, "new@example.org")
        answer = await verify(client, email="new@example.org", code=code)
        assert answer.status_code == 200, answer.text
        claims = jwt_parts(answer.json()["access_token"])[1]
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert claims["email"] == "new@example.org" and claims["email_verified"] is True
    assert await db.fetchval("SELECT count(*) FROM users") == 2


async def test_with_sign_up_off_a_code_for_an_unknown_email_makes_no_account(
    mail_client, db
) -> None:
    async with mail_client() as (client, _inbox):
        await request_mail(client, "new@example.org")
        for code in ("000000", "123456"):
            assert_problem(await verify(client, email="new@example.org", code=code), 401)
    assert await db.fetchval("SELECT count(*) FROM users") == 0
    assert await db.fetchval("SELECT count(*) FROM email_sign_ins") == 0


async def test_a_password_reset_voids_a_pending_code(mail_client, redis_server) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await request_mail(client, ANN)
        token, code = await mailed(inbox)
        await client.post("/api/auth/password/forgot", json={"email": ANN})
        reset = await inbox.token(ANN, RESET)
        done = await client.post(
            "/api/auth/password/reset", json={"token": reset, "new_password": "copper-meadow-93"}
        )
        assert done.status_code == 204
        assert_problem(await verify(client, email=ANN, code=code), 401, "invalid_sign_in_code")
        assert_problem(await verify(client, token=token), 400)


async def test_a_password_change_voids_a_pending_code(mail_client) -> None:
    async with mail_client() as (client, inbox):
        login = await sign_up(client, ANN)
        await request_mail(client, ANN)
        token, code = await mailed(inbox)
        changed = await client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "copper-meadow-93"},
            headers=login.bearer,
        )
        assert changed.status_code == 204, changed.text
        assert_problem(await verify(client, email=ANN, code=code), 401)
        assert_problem(await verify(client, token=token), 400)


async def test_an_email_change_voids_the_code_mailed_to_the_old_address(mail_client) -> None:
    async with mail_client() as (client, inbox):
        login = await sign_up_verified(client, ANN)
        await request_mail(client, ANN)
        _, code = await mailed(inbox)
        asked = await client.post(
            "/api/auth/email/change",
            json={"new_email": "ann@new.example", "password": PASSWORD},
            headers=login.bearer,
        )
        assert asked.status_code == 202, asked.text
        confirm = await inbox.token("ann@new.example", "Confirm your new email address")
        done = await client.post("/api/auth/email/change/confirm", json={"token": confirm})
        assert done.status_code == 204
        assert_problem(await verify(client, email=ANN, code=code), 401)


async def test_the_mailbox_owner_takes_an_unverified_account_from_whoever_signed_up(
    mail_client,
) -> None:
    async with mail_client() as (client, inbox):
        squatter = await sign_up(client, ANN)  # someone else chose this password
        await request_mail(client, ANN)
        _, code = await mailed(inbox)
        owner = await verify(client, email=ANN, code=code)
        assert owner.status_code == 200, owner.text
        assert_problem(await client.get("/api/auth/me", headers=squatter.bearer), 401)
        stale = await client.post("/api/auth/login", json={"email": ANN, "password": PASSWORD})
        assert_problem(stale, 401, "invalid_credentials")


async def test_a_verified_accounts_password_survives_a_sign_in_by_code(mail_client) -> None:
    async with mail_client() as (client, inbox):
        earlier = await sign_up_verified(client, ANN)
        await request_mail(client, ANN)
        _, code = await mailed(inbox)
        assert (await verify(client, email=ANN, code=code)).status_code == 200
        await log_in(client, ANN)
        me = await client.get("/api/auth/me", headers=earlier.bearer)
        assert me.status_code == 200


async def test_a_second_factor_is_still_asked_and_amr_says_email_otp_mfa(mail_client) -> None:
    from tests.second_factor import enrol_totp, second_step

    async with mail_client() as (client, inbox):
        enrolled = await enrol_totp(client, await sign_up_verified(client, ANN))
        await request_mail(client, ANN)
        _, code = await mailed(inbox)
        first = await verify(client, email=ANN, code=code)
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["mfa_required"] is True and "set-cookie" not in first.headers
        done = await second_step(client, body["mfa_token"], code=enrolled.fresh_code())
        assert done.status_code == 200, done.text
    assert jwt_parts(done.json()["access_token"])[1]["amr"] == ["email", "otp", "mfa"]


async def test_a_proof_needs_the_token_or_the_email_and_the_code(mail_client) -> None:
    async with mail_client() as (client, _inbox):
        for proof in (
            {},
            {"email": ANN},
            {"code": "123456"},
            {"token": "x" * 43, "code": "123456"},
            {"email": ANN, "code": "12345"},
            {"email": ANN, "code": "abcdef"},
        ):
            assert_problem(await verify(client, **proof), 422)
