"""A session has an absolute lifetime (AUTH_SESSION_MAX_LIFETIME) that rotations never pass."""

from __future__ import annotations

import re

from tests.helpers import assert_problem, jwt_parts, refresh, refresh_cookie_of, sign_up


def _max_age(response) -> int:
    match = re.search(r"Max-Age=(\d+)", response.headers["set-cookie"])
    assert match is not None
    return int(match.group(1))


async def test_rotations_never_pass_the_sessions_absolute_lifetime(make_client, db, clock) -> None:
    async with make_client(session_max_lifetime=3) as client:
        login = await sign_up(client, "ann@example.org")
        _, first = jwt_parts(login.refresh_token)
        end = first["iat"] + 3
        assert first["exp"] == end and _max_age(login.response) <= 3
        clock.advance(1.1)
        rotated = await refresh(client, login.refresh_token)
        assert rotated.status_code == 200
        _, second = jwt_parts(refresh_cookie_of(rotated))
        assert second["iat"] > first["iat"] and second["exp"] == end
        assert _max_age(rotated) <= end - second["iat"] < 3
        expires_at = await db.fetchval("SELECT expires_at FROM sessions")
        assert expires_at.timestamp() <= end + 1
        clock.advance(end - second["iat"] + 1.1)
        late = await refresh(client, refresh_cookie_of(rotated))
        assert_problem(late, 401, "invalid_refresh_token")


async def test_rotation_slides_the_idle_expiry_within_the_absolute_lifetime(
    make_client, clock
) -> None:
    async with make_client(refresh_token_ttl=60, session_max_lifetime=3600) as client:
        login = await sign_up(client, "ann@example.org")
        _, first = jwt_parts(login.refresh_token)
        assert first["exp"] == first["iat"] + 60
        clock.advance(1.1)
        rotated = await refresh(client, login.refresh_token)
        _, second = jwt_parts(refresh_cookie_of(rotated))
        assert second["exp"] == second["iat"] + 60 > first["exp"]
        assert 58 <= _max_age(rotated) <= 60


async def test_default_absolute_lifetime_is_thirty_days(make_settings) -> None:
    assert make_settings().session_max_lifetime == 30 * 24 * 3600
