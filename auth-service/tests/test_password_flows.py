"""Password change, forgotten password and reset, read from the real mail: links that work
once, the newest only, for a short time; the sessions they end; nothing that tells whether
an email has an account."""

from __future__ import annotations

import asyncio
import logging

from tests.helpers import PASSWORD, assert_problem, end_mail_cooldowns, log_in, refresh, sign_up
from tests.mailbox import PASSWORD_CHANGED, RESET, VERIFY

NEW = "copper-meadow-93"
ANN = "ann@example.org"


async def _forgot(client, email: str, address: str = "192.0.2.10"):
    return await client.post(
        "/api/auth/password/forgot", json={"email": email}, headers={"X-Forwarded-For": address}
    )


async def _reset(client, token: str, password: str = NEW):
    return await client.post(
        "/api/auth/password/reset", json={"token": token, "new_password": password}
    )


async def test_forgot_password_mails_a_reset_link_whose_token_is_in_the_fragment(
    mail_client,
) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        answer = await _forgot(client, "  ANN@Example.ORG ".replace("ANN", "ann"))
        assert answer.status_code == 202, answer.text
        link = await inbox.link(ANN, RESET)
        (mail,) = await inbox.messages(ANN, RESET)
    assert link.startswith("http://localhost:8080/reset-password#token=")
    assert len(link.split("#token=")[1]) == 43  # 256 random bits, base64url
    assert "30 minutes" in mail["Text"] and f'href="{link}"' in mail["HTML"]


async def test_links_point_at_the_public_url_when_set(mail_client) -> None:
    async with mail_client(public_url="https://gatehouse.example/") as (client, inbox):
        await sign_up(client, ANN)
        await _forgot(client, ANN)
        link = await inbox.link(ANN, RESET)
    assert link.startswith("https://gatehouse.example/reset-password#token=")


async def test_a_reset_sets_the_password_and_ends_every_session(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        first = await sign_up(client, ANN)
        second = await log_in(client, ANN)
        await _forgot(client, ANN)
        token = await inbox.token(ANN, RESET)
        assert (await _reset(client, token)).status_code == 204
        for login in (first, second):
            assert_problem(await client.get("/api/auth/me", headers=login.bearer), 401)
            assert_problem(await refresh(client, login.refresh_token), 401)
        old = await client.post("/api/auth/login", json={"email": ANN, "password": PASSWORD})
        assert_problem(old, 401)
        login = await log_in(client, ANN, NEW)
        me = (await client.get("/api/auth/me", headers=login.bearer)).json()
    assert me["email_verified"] is True  # the mail reached its owner
    events = [r["event"] for r in await db.fetch("SELECT event FROM audit_events ORDER BY id")]
    assert "password_reset_requested" in events and "password_reset" in events


async def test_a_reset_link_works_once(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await _forgot(client, ANN)
        token = await inbox.token(ANN, RESET)
        assert (await _reset(client, token)).status_code == 204
        again = await _reset(client, token, "another-pass-77")
    assert_problem(again, 400, "link_used")


async def test_of_two_reset_links_only_the_newest_works(mail_client, redis_server) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await _forgot(client, ANN)
        older = await inbox.token(ANN, RESET)
        await end_mail_cooldowns(redis_server.url())
        await _forgot(client, ANN)
        newer = await inbox.token(ANN, RESET, count=2)
        assert older != newer
        assert_problem(await _reset(client, older), 400, "link_replaced")
        assert (await _reset(client, newer)).status_code == 204


async def test_an_expired_reset_link_is_refused(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await _forgot(client, ANN)
        token = await inbox.token(ANN, RESET)
        lifetime = await db.fetchval(
            "SELECT expires_at - created_at FROM account_tokens WHERE purpose = 'reset_password'"
        )
        assert lifetime.total_seconds() == 30 * 60
        await db.execute("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        body = assert_problem(await _reset(client, token), 400, "link_expired")
    assert "expired" in body["detail"]


async def test_a_verification_link_does_not_reset_a_password(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        token = await inbox.token(ANN, VERIFY)
        assert_problem(await _reset(client, token), 400, "link_invalid")
        # …and it still verifies the email: a refused use spends nothing.
        verified = await client.post("/api/auth/email/verify", json={"token": token})
    assert verified.status_code == 204


async def test_garbage_tokens_get_a_clear_400(client) -> None:
    for token in ("x", "A" * 43, "#token=abc", "é" * 43, "A" * 200):
        assert_problem(await _reset(client, token), 400, "link_invalid")
    assert_problem(await _reset(client, "A" * 201), 422)
    assert_problem(await client.post("/api/auth/password/reset", json={"token": "A" * 43}), 422)


async def test_a_refused_new_password_leaves_the_link_working(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await _forgot(client, ANN)
        token = await inbox.token(ANN, RESET)
        assert_problem(await _reset(client, token, "password"), 422)
        assert (await _reset(client, token)).status_code == 204


async def test_two_uses_of_one_link_at_once_succeed_once(mail_client) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        await _forgot(client, ANN)
        token = await inbox.token(ANN, RESET)
        answers = await asyncio.gather(*(_reset(client, token) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [204, 400, 400, 400]


async def test_forgot_password_answers_alike_for_known_and_unknown_emails(mail_client, db) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        known = await _forgot(client, ANN)
        unknown = await _forgot(client, "nobody@example.org")
        await inbox.wait_for(ANN, RESET)
        assert await inbox.messages("nobody@example.org") == []

    def shown(response):
        headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
        return response.status_code, response.content, headers

    assert shown(known) == shown(unknown)
    assert known.status_code == 202
    stored = "SELECT count(*) FROM account_tokens WHERE purpose = 'reset_password'"
    assert await db.fetchval(stored) == 1
    # The unknown branch wrote its mail in a savepoint that was rolled back: none is kept.
    kept = "SELECT count(*) FROM mail_outbox WHERE kind = 'reset_password'"
    assert await db.fetchval(kept) == 1


async def test_forgot_password_is_limited_per_client_address(make_client) -> None:
    async with make_client(mail_requests_per_ip=3) as client:
        per_address = [await _forgot(client, f"u{n}@example.org", "203.0.113.9") for n in range(4)]
        other_address = await _forgot(client, "u9@example.org", "203.0.113.10")
    assert [a.status_code for a in per_address] == [202, 202, 202, 429]
    limited = assert_problem(per_address[-1], 429, "rate_limited")
    assert int(per_address[-1].headers["retry-after"]) > 0 and limited["detail"]
    assert other_address.status_code == 202


async def test_strangers_asking_for_an_owners_reset_cannot_lock_the_owner_out(
    mail_client, db, redis_server
) -> None:
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        strangers = [await _forgot(client, ANN, f"198.51.100.{n}") for n in range(10)]
        assert {a.status_code for a in strangers} == {202}
        await inbox.wait_for(ANN, RESET)  # the first queued a mail; the cooldown, nothing more
        kept = "SELECT count(*) FROM mail_outbox WHERE kind = 'reset_password'"
        assert await db.fetchval(kept) == 1
        await end_mail_cooldowns(redis_server.url())  # a minute later
        owner = await _forgot(client, ANN, "192.0.2.99")
        assert owner.status_code == 202, owner.text
        token = await inbox.token(ANN, RESET, count=2)
        assert (await _reset(client, token)).status_code == 204


async def test_strangers_mail_an_inbox_five_times_a_window_at_most_and_the_last_link_works(
    mail_client, db, redis_server
) -> None:
    """Past the email's quota a request answers as before and queues nothing; only queued
    mails count, and the last of them carries the live link, so the owner is never out."""
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        answers = []
        for n in range(8):  # each a cooldown apart
            answers.append(await _forgot(client, ANN, f"198.51.100.{n}"))
            await end_mail_cooldowns(redis_server.url())
        unknown = await _forgot(client, "nobody@example.org", "198.51.100.99")
        assert {a.status_code for a in [*answers, unknown]} == {202}
        assert len({a.content for a in [*answers, unknown]}) == 1
        kept = "SELECT count(*) FROM mail_outbox WHERE kind = 'reset_password'"
        assert await db.fetchval(kept) == 5
        token = await inbox.token(ANN, RESET, count=5)
        assert (await _reset(client, token)).status_code == 204


async def test_inside_the_cooldown_known_and_unknown_emails_answer_alike_and_queue_nothing(
    make_client, db
) -> None:
    async with make_client() as client:
        await sign_up(client, ANN)
        known = [await _forgot(client, ANN, f"192.0.2.{n}") for n in range(2)]
        unknown = [await _forgot(client, "nobody@example.org", f"192.0.2.{n}") for n in range(2)]

    def shown(response):
        headers = sorted((k, v) for k, v in response.headers.items() if k != "x-request-id")
        return response.status_code, response.content, tuple(headers)

    assert len({shown(a) for a in known + unknown}) == 1
    assert known[0].status_code == 202
    kept = "SELECT count(*) FROM mail_outbox WHERE kind = 'reset_password'"
    assert await db.fetchval(kept) == 1
    tokens = "SELECT count(*) FROM account_tokens WHERE purpose = 'reset_password'"
    assert await db.fetchval(tokens) == 1


async def test_changing_the_password_ends_the_other_sessions_but_not_this_one(mail_client) -> None:
    async with mail_client() as (client, inbox):
        current = await sign_up(client, ANN)
        other = await log_in(client, ANN)
        answer = await client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW},
            headers=current.bearer,
        )
        assert answer.status_code == 204, answer.text
        assert (await client.get("/api/auth/me", headers=current.bearer)).status_code == 200
        assert (await refresh(client, current.refresh_token)).status_code == 200
        assert_problem(await client.get("/api/auth/me", headers=other.bearer), 401)
        assert_problem(await refresh(client, other.refresh_token), 401)
        await log_in(client, ANN, NEW)
        (notice,) = await inbox.wait_for(ANN, PASSWORD_CHANGED)
    assert "http://localhost:8080/forgot-password" in notice["Text"]


async def test_a_password_change_needs_the_current_password_and_the_policy(client) -> None:
    login = await sign_up(client, ANN)
    wrong = await client.post(
        "/api/auth/password",
        json={"current_password": "not-it-at-all", "new_password": NEW},
        headers=login.bearer,
    )
    assert_problem(wrong, 403, "wrong_password")
    weak = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "password"},
        headers=login.bearer,
    )
    assert_problem(weak, 422, "validation_failed")
    await log_in(client, ANN)  # unchanged


async def test_no_token_or_link_reaches_a_log_line(mail_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with mail_client() as (client, inbox):
        await sign_up(client, ANN)
        verify = await inbox.token(ANN, VERIFY)
        await _forgot(client, ANN)
        reset = await inbox.token(ANN, RESET)
        await _reset(client, reset)
        await _reset(client, reset)  # refused: the refusal is logged too
        await client.post("/api/auth/email/verify", json={"token": verify})
    ours = [r for r in caplog.records if r.name.startswith("auth_service")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert ours
    for secret in (verify, reset, "#token=", NEW, PASSWORD):
        assert secret not in logged
