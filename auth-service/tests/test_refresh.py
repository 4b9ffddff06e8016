from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from auth_service.timeutil import utcnow
from auth_service.tokens import refresh as refresh_tokens

from tests.helpers import assert_problem, jwt_parts, refresh, refresh_cookie_of, registry, sign_up

GRACE = 10.0  # seconds; the tests pass it by advancing the clock


async def test_refresh_rotates_the_cookie_and_issues_a_working_access_token(client) -> None:
    login = await sign_up(client, "ann@example.org")
    response = await refresh(client, login.refresh_token)
    assert response.status_code == 200
    successor = refresh_cookie_of(response)
    assert successor != login.refresh_token
    new_access = response.json()["access_token"]
    assert jwt_parts(new_access)[1]["sid"] == jwt_parts(login.access_token)[1]["sid"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {new_access}"})
    assert me.status_code == 200
    assert (await refresh(client, successor)).status_code == 200


async def test_twenty_concurrent_refreshes_leave_exactly_one_live_successor(client) -> None:
    login = await sign_up(client, "ann@example.org")
    responses = await asyncio.gather(*(refresh(client, login.refresh_token) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    successors = {refresh_cookie_of(r) for r in responses}
    assert len(successors) == 1
    (successor,) = successors
    # The one successor is live, and so is the session.
    after = await refresh(client, successor)
    assert after.status_code == 200
    sessions = await client.get(
        "/api/auth/sessions", headers={"Authorization": f"Bearer {after.json()['access_token']}"}
    )
    assert len(sessions.json()) == 1


async def test_replay_inside_the_grace_window_returns_the_same_successor(client) -> None:
    login = await sign_up(client, "ann@example.org")
    first = refresh_cookie_of(await refresh(client, login.refresh_token))
    again = refresh_cookie_of(await refresh(client, login.refresh_token))
    assert again == first


async def test_replay_after_the_grace_window_revokes_the_whole_session(
    make_client, db, clock
) -> None:
    async with make_client(refresh_reuse_grace=GRACE) as client:
        login = await sign_up(client, "ann@example.org")
        response = await refresh(client, login.refresh_token)
        successor = refresh_cookie_of(response)
        fresh_access = response.json()["access_token"]
        clock.advance(GRACE + 1)
        reused = await refresh(client, login.refresh_token)
        assert_problem(reused, 401, "refresh_token_reused")
        assert "Max-Age=0" in reused.headers["set-cookie"]
        # Every token of the session stops working: the successor and the access tokens.
        assert_problem(await refresh(client, successor), 401, "invalid_refresh_token")
        me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {fresh_access}"})
        assert_problem(me, 401, "invalid_token")
    row = await db.fetchrow("SELECT revoked_at, revoked_reason FROM sessions")
    assert row["revoked_at"] is not None and row["revoked_reason"] == "reuse"


async def test_reuse_in_one_session_leaves_the_users_other_sessions_alive(
    make_client, clock
) -> None:
    async with make_client(refresh_reuse_grace=GRACE) as client:
        first = await sign_up(client, "ann@example.org")
        second = await client.post(
            "/api/auth/login", json={"email": "ann@example.org", "password": "lantern-quarry-47"}
        )
        await refresh(client, first.refresh_token)
        clock.advance(GRACE + 1)
        assert (await refresh(client, first.refresh_token)).status_code == 401
        assert (await refresh(client, refresh_cookie_of(second))).status_code == 200


async def test_logged_out_token_is_simply_invalid_not_reuse(client, caplog) -> None:
    login = await sign_up(client, "ann@example.org")
    logout = await client.post(
        "/api/auth/logout",
        headers={"X-Requested-With": "fetch", "Cookie": f"refresh_token={login.refresh_token}"},
    )
    assert logout.status_code == 204
    assert "Max-Age=0" in logout.headers["set-cookie"]
    with caplog.at_level(logging.INFO):
        response = await refresh(client, login.refresh_token)
    assert_problem(response, 401, "invalid_refresh_token")
    assert "outcome=logged_out" in caplog.text
    assert "reuse" not in caplog.text


async def test_every_refresh_outcome_is_logged_by_name(make_client, caplog, clock) -> None:
    async with make_client(refresh_reuse_grace=GRACE) as client:
        login = await sign_up(client, "ann@example.org")
        with caplog.at_level(logging.INFO):
            successor = refresh_cookie_of(await refresh(client, login.refresh_token))
            await refresh(client, login.refresh_token)
            clock.advance(GRACE + 1)
            await refresh(client, login.refresh_token)
            await refresh(client, successor)
            await refresh(client, "garbage")
    outcomes = [r.outcome for r in caplog.records if hasattr(r, "outcome")]
    assert outcomes == ["rotated", "grace_replay", "reuse_revoked", "logged_out", "invalid"]
    assert "outcome=reuse_revoked" in caplog.text  # a warning of its own
    assert login.refresh_token not in caplog.text and successor not in caplog.text


async def test_expired_refresh_token_is_refused(client, caplog) -> None:
    login = await sign_up(client, "ann@example.org")
    _, claims = jwt_parts(login.refresh_token)
    ring = registry(client).keys.ring
    long_ago = utcnow() - timedelta(days=30)
    expired = refresh_tokens.mint(
        ring,
        issuer="http://localhost:8080/api/auth",
        ttl=60,
        now=utcnow(),
        sub=claims["sub"],
        sid=claims["sid"],
        jti="old",
        iat=int(long_ago.timestamp()),
    )
    with caplog.at_level(logging.INFO, logger="auth_service.refresh"):
        response = await refresh(client, expired)
    assert_problem(response, 401, "invalid_refresh_token")
    assert "outcome=expired" in caplog.text


async def test_refresh_requires_a_cookie(client) -> None:
    assert_problem(await refresh(client, None), 401, "invalid_refresh_token")


async def test_refresh_and_logout_require_x_requested_with(client) -> None:
    login = await sign_up(client, "ann@example.org")
    cookie = {"Cookie": f"refresh_token={login.refresh_token}"}
    assert_problem(await client.post("/api/auth/refresh", headers=cookie), 403, "csrf_rejected")
    assert_problem(await client.post("/api/auth/logout", headers=cookie), 403, "csrf_rejected")
    # Nothing was spent or ended by the refused requests.
    assert (await refresh(client, login.refresh_token)).status_code == 200


async def test_refresh_refuses_a_foreign_origin_and_accepts_the_allowed_one(client) -> None:
    login = await sign_up(client, "ann@example.org")
    foreign = await refresh(client, login.refresh_token, Origin="https://evil.example")
    assert_problem(foreign, 403, "csrf_rejected")
    logout = await client.post(
        "/api/auth/logout",
        headers={
            "X-Requested-With": "x",
            "Origin": "https://evil.example",
            "Cookie": f"refresh_token={login.refresh_token}",
        },
    )
    assert_problem(logout, 403, "csrf_rejected")
    same = await refresh(client, login.refresh_token, Origin="http://localhost:8080")
    assert same.status_code == 200


async def test_allowed_origins_setting_replaces_the_default(make_client) -> None:
    async with make_client(
        allowed_origins="https://app.example.com, https://admin.example.com"
    ) as client:
        login = await sign_up(client, "ann@example.org")
        ok = await refresh(client, login.refresh_token, Origin="https://admin.example.com")
        assert ok.status_code == 200
        refused = await refresh(client, refresh_cookie_of(ok), Origin="http://localhost:8080")
        assert_problem(refused, 403)


async def test_refresh_token_is_refused_as_bearer_and_access_token_as_cookie(client) -> None:
    login = await sign_up(client, "ann@example.org")
    as_bearer = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {login.refresh_token}"}
    )
    assert_problem(as_bearer, 401, "invalid_token")
    assert as_bearer.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    as_cookie = await refresh(client, login.access_token)
    assert_problem(as_cookie, 401, "invalid_refresh_token")
    # Neither misuse harmed the real session.
    assert (await refresh(client, login.refresh_token)).status_code == 200


async def test_refresh_token_is_not_stored_anywhere(client, db) -> None:
    login = await sign_up(client, "ann@example.org")
    successor_token = refresh_cookie_of(await refresh(client, login.refresh_token))
    # Nor any refresh-token id in the clear: PostgreSQL keeps sha256 hashes of them.
    rows = str([dict(row) for row in await db.fetch("SELECT * FROM sessions")])
    _, claims = jwt_parts(login.refresh_token)
    successor = jwt_parts(successor_token)[1]
    assert login.refresh_token not in rows and successor_token not in rows
    assert claims["jti"] not in rows and successor["jti"] not in rows
    await client.post(  # the session's revoked mark: Redis holds something of it now
        "/api/auth/logout",
        headers={"X-Requested-With": "x", "Cookie": f"refresh_token={successor_token}"},
    )
    redis = registry(client).redis
    keys = await redis.keys("*")
    stored = [await redis.get(key) for key in keys]
    assert stored
    for token, jti in ((login.refresh_token, claims["jti"]), (successor_token, successor["jti"])):
        assert all(token not in value and jti not in value for value in stored)
        assert all(jti not in key for key in keys)


async def test_a_refresh_token_with_stray_characters_is_refused_and_the_session_lives(
    client,
) -> None:
    """A refresh token has one spelling: characters outside base64url (skipped by a lenient
    decoder, leaving the same MAC) make it malformed; the real one still rotates."""
    login = await sign_up(client, "stray@example.org")
    header, claims, mac = login.refresh_token.split(".")

    spoiled = f"{header}.{claims}.{mac[:8]}~~~~{mac[8:]}"
    assert (await refresh(client, spoiled)).status_code == 401
    assert (await refresh(client, login.refresh_token)).status_code == 200


async def test_a_rotation_writes_one_log_line_its_access_line_with_the_outcome(
    client, caplog
) -> None:
    login = await sign_up(client, "ann@example.org")
    sid = jwt_parts(login.access_token)[1]["sid"]
    with caplog.at_level(logging.INFO):
        caplog.clear()
        response = await refresh(client, login.refresh_token)
    assert response.status_code == 200
    lines = [
        (r.name, r.getMessage())
        for r in caplog.records
        if r.name in ("auth_service.refresh", "gatehouse.access")
    ]
    assert lines == [("gatehouse.access", f"POST /api/auth/refresh 200 outcome=rotated sid={sid}")]
