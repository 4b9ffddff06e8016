"""Email verification and change, read from the real mail; sign-up when a verified email
is required; mail that waits for an SMTP server that is down."""

from __future__ import annotations

import asyncio

import httpx
from asgi_lifespan import LifespanManager
from devstack.ports import free_port

from devstack import mailcatcher
from tests.helpers import (
    PASSWORD,
    assert_problem,
    end_mail_cooldowns,
    jwt_parts,
    log_in,
    refresh,
    registry,
    sign_up,
)
from tests.mailbox import CHANGE_CONFIRM, CHANGE_NOTICE, EXISTS, RESET, VERIFY, Inbox

ANN = "ann@example.org"


async def _verify(client, token: str):
    return await client.post("/api/auth/email/verify", json={"token": token})


async def _me(client, login) -> dict:
    return dict((await client.get("/api/auth/me", headers=login.bearer)).json())


async def test_sign_up_mails_a_link_that_verifies_the_email(mail_client) -> None:
    async with mail_client() as (client, inbox):
        login = await sign_up(client, ANN)
        link = await inbox.link(ANN, VERIFY)
        assert link.startswith("http://localhost:8080/verify-email#token=")
        assert (await _verify(client, link.split("#token=")[1])).status_code == 204
        assert (await _me(client, login))["email_verified"] is True
        # The access token says so from the next refresh on.
        answer = await refresh(client, login.refresh_token)
        assert jwt_parts(answer.json()["access_token"])[1]["email_verified"] is True
        (mail,) = await inbox.messages(ANN, VERIFY)
    assert "24 hours" in mail["Text"]


async def test_a_verification_link_works_once_and_expires_after_a_day(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        token = await inbox.token(ANN, VERIFY)
        lifetime = await db.fetchval("SELECT expires_at - created_at FROM account_tokens")
        assert lifetime.total_seconds() == 24 * 3600
        await db.execute("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        assert_problem(await _verify(client, token), 400, "link_expired")
        await db.execute("UPDATE account_tokens SET expires_at = now() + interval '1 hour'")
        assert (await _verify(client, token)).status_code == 204
        assert_problem(await _verify(client, token), 400, "link_used")


async def test_a_resend_makes_a_new_link_and_voids_the_older(mail_client) -> None:
    async with mail_client() as (client, inbox):
        login = await sign_up(client, ANN)
        older = await inbox.token(ANN, VERIFY)
        answer = await client.post("/api/auth/email/verify/resend", headers=login.bearer)
        assert answer.status_code == 202, answer.text
        newer = await inbox.token(ANN, VERIFY, count=2)
        assert_problem(await _verify(client, older), 400, "link_replaced")
        assert (await _verify(client, newer)).status_code == 204


async def test_a_resend_by_address_answers_alike_for_unknown_emails(mail_client) -> None:
    async with mail_client(require_verified_email=True) as (client, inbox):
        await client.post("/api/auth/signup", json={"email": ANN, "password": PASSWORD})
        resend = "/api/auth/email/verify/resend"
        known = await client.post(resend, json={"email": ANN})
        unknown = await client.post(resend, json={"email": "nobody@example.org"})
        await inbox.wait_for(ANN, VERIFY, count=2)
        assert await inbox.messages("nobody@example.org") == []
        nothing = await client.post(resend)
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    drop = {"x-request-id"}
    assert {k: v for k, v in known.headers.items() if k not in drop} == {
        k: v for k, v in unknown.headers.items() if k not in drop
    }
    assert_problem(nothing, 422)


async def test_a_resend_inside_the_cooldown_answers_alike_and_queues_nothing(
    make_client, db, redis_server
) -> None:
    async with make_client(require_verified_email=True) as client:
        await client.post("/api/auth/signup", json={"email": ANN, "password": PASSWORD})
        resend = "/api/auth/email/verify/resend"
        # A stranger's resends by address: the first mails the owner, the rest nothing.
        answers = [await client.post(resend, json={"email": ANN}) for _ in range(6)]
        assert {(a.status_code, a.content) for a in answers} == {(202, b'{"status":"accepted"}')}
        queued = "SELECT count(*) FROM mail_outbox WHERE kind = 'verify_email'"
        assert await db.fetchval(queued) == 2  # the sign-up's and one resend
        await end_mail_cooldowns(redis_server.url())  # a minute later
        assert (await client.post(resend, json={"email": ANN})).status_code == 202
        assert await db.fetchval(queued) == 3


async def _change(client, login, new_email: str, address: str = "192.0.2.10"):
    return await client.post(
        "/api/auth/email/change",
        json={"new_email": new_email, "password": PASSWORD},
        headers={**login.bearer, "X-Forwarded-For": address},
    )


async def test_email_changes_mail_one_new_address_a_few_times_only(make_client, db) -> None:
    async with make_client() as client:
        login = await sign_up(client, ANN)
        answers = [await _change(client, login, "target@example.net") for _ in range(40)]
        other = await sign_up(client, "bob@example.org")
        from_another_account = await _change(client, other, "Target@Example.NET")
    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    assert {a.status_code for a in answers[3:]} == {429}
    limited = assert_problem(answers[-1], 429, "rate_limited")
    assert int(answers[-1].headers["retry-after"]) > 0 and limited["detail"]
    assert_problem(from_another_account, 429, "rate_limited")  # per address, any account
    mailed = "SELECT count(*) FROM mail_outbox WHERE kind = 'email_change_confirm'"
    assert await db.fetchval(mailed) == 3


async def test_email_changes_are_limited_per_account(make_client) -> None:
    async with make_client(email_changes_per_account=2) as client:
        login = await sign_up(client, ANN)
        answers = [await _change(client, login, f"new{n}@example.net") for n in range(3)]
        other = await sign_up(client, "bob@example.org")
        another_account = await _change(client, other, "new9@example.net")
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert_problem(answers[-1], 429, "rate_limited")
    assert another_account.status_code == 202


async def test_an_email_change_is_confirmed_from_the_new_address(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        login = await sign_up(client, ANN)
        answer = await client.post(
            "/api/auth/email/change",
            json={"new_email": "Ann@Example.NET", "password": PASSWORD},
            headers=login.bearer,
        )
        assert answer.status_code == 202, answer.text
        link = await inbox.link("Ann@example.net", CHANGE_CONFIRM)
        (notice,) = await inbox.wait_for(ANN, CHANGE_NOTICE)
        assert "Ann@example.net" in notice["Text"]
        assert link.startswith("http://localhost:8080/confirm-email#token=")
        assert (await _me(client, login))["email"] == ANN  # not before the confirmation
        confirm = "/api/auth/email/change/confirm"
        token = link.split("#token=")[1]
        assert (await client.post(confirm, json={"token": token})).status_code == 204
        me = await _me(client, login)
        assert (me["email"], me["email_verified"]) == ("Ann@example.net", True)
        assert_problem(await client.post(confirm, json={"token": token}), 400, "link_used")
        await log_in(client, "ann@example.net")
        lifetime = await db.fetchval(
            "SELECT expires_at - created_at FROM account_tokens WHERE purpose = 'change_email'"
        )
    assert lifetime.total_seconds() == 3600


async def test_an_email_change_needs_the_password_and_a_free_address(client) -> None:
    login = await sign_up(client, ANN)
    await sign_up(client, "bob@example.org")
    change = "/api/auth/email/change"
    wrong = {"new_email": "ann@example.net", "password": "not-it-at-all"}
    refused = await client.post(change, json=wrong, headers=login.bearer)
    assert_problem(refused, 403, "wrong_password")
    taken = {"new_email": "BOB@example.org", "password": PASSWORD}
    assert_problem(await client.post(change, json=taken, headers=login.bearer), 409, "email_taken")
    same = {"new_email": ANN, "password": PASSWORD}
    assert_problem(await client.post(change, json=same, headers=login.bearer), 422)
    bad = {"new_email": "not an address", "password": PASSWORD}
    assert_problem(await client.post(change, json=bad, headers=login.bearer), 422)
    assert_problem(await client.post(change, json=same), 401)


async def test_an_address_taken_before_the_confirmation_is_refused_then(mail_client) -> None:
    async with mail_client() as (client, inbox):
        login = await sign_up(client, ANN)
        await client.post(
            "/api/auth/email/change",
            json={"new_email": "new@example.org", "password": PASSWORD},
            headers=login.bearer,
        )
        token = await inbox.token("new@example.org", CHANGE_CONFIRM)
        await sign_up(client, "new@example.org")
        answer = await client.post("/api/auth/email/change/confirm", json={"token": token})
        assert_problem(answer, 409, "email_taken")
        assert (await _me(client, login))["email"] == ANN


async def test_with_verification_required_sign_up_answers_alike_and_log_in_waits(
    mail_client,
) -> None:
    async with mail_client(require_verified_email=True) as (client, inbox):
        body = {"email": ANN, "password": PASSWORD}
        new = await client.post("/api/auth/signup", json=body)
        again = await client.post("/api/auth/signup", json={**body, "password": "other-pass-55"})
        for answer in (new, again):
            assert answer.status_code == 202, answer.text
            assert answer.json() == {"verification_required": True}
            assert "set-cookie" not in answer.headers
        drop = {"x-request-id"}
        assert {k: v for k, v in new.headers.items() if k not in drop} == {
            k: v for k, v in again.headers.items() if k not in drop
        }
        (exists,) = await inbox.wait_for(ANN, EXISTS)
        assert "http://localhost:8080/forgot-password" in exists["Text"]

        early = await client.post("/api/auth/login", json=body)
        assert_problem(early, 403, "email_not_verified")
        assert "set-cookie" not in early.headers
        wrong = await client.post("/api/auth/login", json={**body, "password": "wrong-pass-1"})
        assert_problem(wrong, 401, "invalid_credentials")  # no hint without the password

        assert (await _verify(client, await inbox.token(ANN, VERIFY))).status_code == 204
        login = await log_in(client, ANN)
    assert jwt_parts(login.access_token)[1]["email_verified"] is True


async def test_a_reset_also_lets_an_unverified_account_log_in(mail_client) -> None:
    async with mail_client(require_verified_email=True) as (client, inbox):
        await client.post("/api/auth/signup", json={"email": ANN, "password": PASSWORD})
        await client.post("/api/auth/password/forgot", json={"email": ANN})
        token = await inbox.token(ANN, RESET)
        reset = {"token": token, "new_password": "copper-meadow-93"}
        assert (await client.post("/api/auth/password/reset", json=reset)).status_code == 204
        await log_in(client, ANN, "copper-meadow-93")


async def test_mail_waits_for_an_smtp_server_that_is_down_and_none_is_lost(
    make_client, tmp_path, clock
) -> None:
    port = free_port()  # nothing listens yet
    settings = {"smtp_url": f"smtp://127.0.0.1:{port}", "mail_poll_interval": 0.2}
    async with make_client(**settings) as client:
        await sign_up(client, ANN)
        answer = await client.post("/api/auth/password/forgot", json={"email": ANN})
        assert answer.status_code == 202  # the request does not wait for the mail server
        failed = 'gatehouse_mail_deliveries_total{result="failed"}'
        for _ in range(200):  # the sender tries, fails, and will retry later
            if failed in (await client.get("/metrics")).text:
                break
            await asyncio.sleep(0.05)
        assert failed in (await client.get("/metrics")).text
        catcher = mailcatcher.create_app(tmp_path / "mail", port)
        async with LifespanManager(catcher) as running:
            transport = httpx.ASGITransport(app=running.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mail") as api:
                inbox = Inbox(api)
                clock.advance(400)  # past the longest back-off: the retries are due
                registry(client).mail_sender.wake()
                await inbox.wait_for(ANN, VERIFY)
                await inbox.wait_for(ANN, RESET)
        sent = 'gatehouse_mail_deliveries_total{result="sent"} 2.0'
        for _ in range(200):  # counted once the server's "250" is back, after it kept them
            if sent in (await client.get("/metrics")).text:
                break
            await asyncio.sleep(0.05)
        assert sent in (await client.get("/metrics")).text


async def test_the_bootstrap_administrator_needs_no_verification_mail(make_client) -> None:
    root = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": PASSWORD}
    async with make_client(require_verified_email=True, **root) as client:
        admin = await log_in(client, "root@example.org")
    assert jwt_parts(admin.access_token)[1]["email_verified"] is True
