from __future__ import annotations

import logging

import pytest

from tests.helpers import assert_problem, log_in, refresh, registry, sign_up
from tests.mailbox import VERIFY


async def test_sessions_lists_the_users_live_sessions_and_marks_the_current_one(client) -> None:
    first = await sign_up(client, "ann@example.org")
    second = await log_in(client, "ann@example.org", **{"User-Agent": "Firefox/140"})
    await sign_up(client, "bob@example.org")
    response = await client.get("/api/auth/sessions", headers=second.bearer)
    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1 and current[0]["user_agent"] == "Firefox/140"
    assert {"id", "created_at", "last_used_at", "expires_at", "user_agent", "ip_address"} <= set(
        sessions[0]
    )
    assert first.refresh_token  # the first session is the other one listed


async def test_revoking_one_session_ends_it_and_only_it(client) -> None:
    first = await sign_up(client, "ann@example.org")
    second = await log_in(client, "ann@example.org")
    sessions = (await client.get("/api/auth/sessions", headers=second.bearer)).json()
    other = next(s for s in sessions if not s["current"])
    response = await client.delete(f"/api/auth/sessions/{other['id']}", headers=second.bearer)
    assert response.status_code == 204
    assert_problem(await refresh(client, first.refresh_token), 401, "invalid_refresh_token")
    assert_problem(await client.get("/api/auth/me", headers=first.bearer), 401, "invalid_token")
    assert (await refresh(client, second.refresh_token)).status_code == 200
    remaining = (await client.get("/api/auth/sessions", headers=second.bearer)).json()
    assert [s["id"] for s in remaining] != [other["id"]] and len(remaining) == 1


async def test_another_users_session_is_not_found(client) -> None:
    ann = await sign_up(client, "ann@example.org")
    bob = await sign_up(client, "bob@example.org")
    bobs = (await client.get("/api/auth/sessions", headers=bob.bearer)).json()[0]["id"]
    response = await client.delete(f"/api/auth/sessions/{bobs}", headers=ann.bearer)
    assert_problem(response, 404, "not_found")
    assert (await refresh(client, bob.refresh_token)).status_code == 200


async def test_log_out_everywhere_ends_every_session_of_the_user(client, db) -> None:
    logins = [await sign_up(client, "ann@example.org")]
    logins += [await log_in(client, "ann@example.org") for _ in range(2)]
    bob = await sign_up(client, "bob@example.org")
    response = await client.post("/api/auth/logout-all", headers=logins[0].bearer)
    assert response.status_code == 204
    for login in logins:
        assert_problem(await refresh(client, login.refresh_token), 401)
        assert_problem(await client.get("/api/auth/me", headers=login.bearer), 401)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.email = 'ann@example.org' AND revoked_at IS NULL"
        )
        == 0
    )
    assert (await refresh(client, bob.refresh_token)).status_code == 200


async def test_log_out_everywhere_needs_a_bearer_token(client) -> None:
    assert_problem(await client.post("/api/auth/logout-all"), 401)


async def test_log_out_ends_this_session_and_clears_the_cookie(client, db) -> None:
    first = await sign_up(client, "ann@example.org")
    second = await log_in(client, "ann@example.org")
    response = await client.post(
        "/api/auth/logout",
        headers={"X-Requested-With": "fetch", "Cookie": f"refresh_token={first.refresh_token}"},
    )
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert (
        cookie.startswith("refresh_token=;")
        and "Max-Age=0" in cookie
        and "Path=/api/auth" in cookie
    )
    assert_problem(await refresh(client, first.refresh_token), 401)
    assert (await refresh(client, second.refresh_token)).status_code == 200
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE revoked_reason = 'logout'") == 1


async def test_log_out_without_a_session_still_answers_204(client) -> None:
    response = await client.post("/api/auth/logout", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204


async def test_revocations_survive_the_loss_of_redis_data(client) -> None:
    first = await sign_up(client, "ann@example.org")
    second = await log_in(client, "ann@example.org")
    await client.post("/api/auth/logout-all", headers=second.bearer)
    await registry(client).redis.flushdb()  # Redis restarted without persistence
    assert_problem(await refresh(client, first.refresh_token), 401, "invalid_refresh_token")
    assert_problem(await refresh(client, second.refresh_token), 401, "invalid_refresh_token")
    sessions = await client.get(
        "/api/auth/sessions", headers=(await log_in(client, "ann@example.org")).bearer
    )
    assert len(sessions.json()) == 1


def _restore_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "revoked-session marks" in r.getMessage()]


async def test_a_first_request_with_nothing_to_restore_logs_no_warning(mail_client, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="auth_service")
    async with mail_client() as (client, inbox):  # a real mail catcher: mail goes out
        ann = await sign_up(client, "ann@example.org")
        assert (await client.get("/api/auth/me", headers=ann.bearer)).status_code == 200
        await inbox.wait_for("ann@example.org", VERIFY)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert [r.levelno for r in _restore_records(caplog)] in ([], [logging.DEBUG])


async def test_marks_restored_from_postgresql_are_logged_as_information(client, caplog) -> None:
    first = await sign_up(client, "ann@example.org")
    second = await log_in(client, "ann@example.org")
    await client.delete(
        f"/api/auth/sessions/{await _other_session(client, second)}", headers=second.bearer
    )
    await registry(client).redis.flushdb()  # Redis restarted without persistence
    caplog.set_level(logging.DEBUG, logger="auth_service")
    assert_problem(await client.get("/api/auth/me", headers=first.bearer), 401, "invalid_token")
    restored = _restore_records(caplog)
    assert [(r.levelno, "restored 1 " in r.getMessage()) for r in restored] == [
        (logging.INFO, True)
    ]


async def _other_session(client, login) -> str:
    sessions = (await client.get("/api/auth/sessions", headers=login.bearer)).json()
    return str(next(s for s in sessions if not s["current"])["id"])
