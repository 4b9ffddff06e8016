"""Log-out with a refresh token that was rotated since (a stale tab, or a copy someone
kept): it still ends the session it belongs to, as its reuse at /refresh would, and the
audit trail says the token was spent."""

from __future__ import annotations

import json

from tests.helpers import assert_problem, refresh, refresh_cookie_of, sign_up

CSRF = {"X-Requested-With": "fetch"}


async def _log_out(client, token: str):
    return await client.post(
        "/api/auth/logout", headers={**CSRF, "Cookie": f"refresh_token={token}"}
    )


async def test_a_spent_refresh_token_still_ends_its_session_and_is_audited_as_spent(
    client, db
) -> None:
    login = await sign_up(client, "ann@example.org")
    rotated = await refresh(client, login.refresh_token)
    assert rotated.status_code == 200, rotated.text
    live = refresh_cookie_of(rotated)

    out = await _log_out(client, login.refresh_token)  # the spent one
    assert out.status_code == 204
    assert "Max-Age=0" in out.headers["set-cookie"]
    assert_problem(await refresh(client, live), 401)
    assert_problem(await client.get("/api/auth/me", headers=login.bearer), 401)
    (details,) = await db.fetch("SELECT details FROM audit_events WHERE event = 'logout'")
    assert json.loads(details["details"]) == {"spent_token": True}


async def test_a_log_out_with_the_live_token_is_not_marked_spent(client, db) -> None:
    login = await sign_up(client, "ann@example.org")
    assert (await _log_out(client, login.refresh_token)).status_code == 204
    (details,) = await db.fetch("SELECT details FROM audit_events WHERE event = 'logout'")
    assert json.loads(details["details"]) == {"spent_token": False}
