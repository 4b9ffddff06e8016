"""The revocation feed: every way access ends writes an entry in the same transaction;
readers follow a cursor that never skips an entry, long-poll, and start over after a 410."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from auth_service.revocations import service as feed
from auth_service.timeutil import utcnow

from tests.feed_helpers import (
    ADMIN,
    admin_bearer,
    feed_reader,
    kinds,
    register,
    service_token,
)
from tests.helpers import PASSWORD, assert_problem, jwt_parts, log_in, refresh, registry, sign_up

ANN = "ann@example.org"


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


def _claims(token: str) -> dict:
    return jwt_parts(token)[1]


async def test_the_feed_needs_a_service_token_with_revocations_read(app) -> None:
    assert_problem(await app.get("/api/auth/revocations"), 401)
    user = await sign_up(app, ANN)
    assert_problem(await app.get("/api/auth/revocations", headers=user.bearer), 403)
    other = await register(app, await admin_bearer(app), ["stats:read"])
    token = await service_token(app, other)
    answer = await app.get("/api/auth/revocations", headers={"Authorization": f"Bearer {token}"})
    assert_problem(answer, 403, "insufficient_scope")


async def test_log_out_feeds_the_session_after_the_cursor(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    login = await sign_up(app, ANN)
    out = await app.post(
        "/api/auth/logout",
        headers={"Cookie": f"refresh_token={login.refresh_token}", "X-Requested-With": "fetch"},
    )
    assert out.status_code == 204
    page = await reader.after(cursor)
    assert kinds(page) == {("session", _claims(login.access_token)["sid"])}
    assert page["cursor"] > cursor and page["snapshot"] is False
    (entry,) = page["entries"]
    assert entry["expires_at"] >= _claims(login.access_token)["exp"]


async def test_revoking_one_session_feeds_it(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    first, second = await sign_up(app, ANN), await log_in(app, ANN)
    sid = _claims(second.access_token)["sid"]
    assert (await app.delete(f"/api/auth/sessions/{sid}", headers=first.bearer)).status_code == 204
    assert kinds(await reader.after(cursor)) == {("session", sid)}


async def test_logout_all_feeds_the_subject_with_a_not_before_and_its_sessions(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    first, second = await sign_up(app, ANN), await log_in(app, ANN)
    assert (await app.post("/api/auth/logout-all", headers=first.bearer)).status_code == 204
    page = await reader.after(cursor)
    claims = _claims(first.access_token)
    sids = {_claims(login.access_token)["sid"] for login in (first, second)}
    assert kinds(page) == {("subject", claims["sub"])} | {("session", sid) for sid in sids}
    (subject,) = [e for e in page["entries"] if e["kind"] == "subject"]
    assert subject["not_before"] >= claims["iat"]


async def test_reused_refresh_token_feeds_the_session_it_ends(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    login = await sign_up(app, ANN)
    assert (await refresh(app, login.refresh_token)).status_code == 200
    registry(app).ledger.grace_ms = 0
    registry(app).ledger.grace = timedelta(0)
    assert_problem(await refresh(app, login.refresh_token), 401, "refresh_token_reused")
    assert kinds(await reader.after(cursor)) == {("session", _claims(login.access_token)["sid"])}


async def test_a_password_change_feeds_the_other_sessions_not_the_current_one(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    current, other = await sign_up(app, ANN), await log_in(app, ANN)
    answer = await app.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "copper-meadow-93"},
        headers=current.bearer,
    )
    assert answer.status_code == 204, answer.text
    assert kinds(await reader.after(cursor)) == {("session", _claims(other.access_token)["sid"])}


async def test_a_role_change_feeds_the_subject(app) -> None:
    reader = await feed_reader(app)
    login = await sign_up(app, ANN)
    cursor = (await reader.snapshot())["cursor"]
    sub = _claims(login.access_token)["sub"]
    answer = await app.patch(
        f"/api/auth/admin/users/{sub}", json={"roles": ["admin"]}, headers=await admin_bearer(app)
    )
    assert answer.status_code == 200, answer.text
    assert ("subject", sub) in kinds(await reader.after(cursor))


async def test_deleting_a_client_feeds_its_id(app) -> None:
    reader = await feed_reader(app)
    admin = await admin_bearer(app)
    doomed = await register(app, admin, ["stats:read"])
    cursor = (await reader.snapshot())["cursor"]
    answer = await app.delete(f"/api/auth/admin/clients/{doomed['client_id']}", headers=admin)
    assert answer.status_code == 204
    assert kinds(await reader.after(cursor)) == {("client", doomed["client_id"])}


async def test_a_snapshot_holds_every_live_entry_and_the_cursor_to_follow(app) -> None:
    reader = await feed_reader(app)
    login = await sign_up(app, ANN)
    await app.post("/api/auth/logout-all", headers=login.bearer)
    snapshot = await reader.snapshot()
    assert snapshot["snapshot"] is True
    assert ("subject", _claims(login.access_token)["sub"]) in kinds(snapshot)
    assert (await reader.after(snapshot["cursor"]))["entries"] == []


async def test_a_long_poll_returns_as_soon_as_an_entry_is_committed(make_client) -> None:
    # Re-checks only every 25 s: only the NOTIFY of the commit can answer the poll early.
    async with make_client(revocation_recheck_interval=25, **ADMIN) as app:
        reader = await feed_reader(app)
        cursor = (await reader.snapshot())["cursor"]
        login = await sign_up(app, ANN)
        poll = asyncio.create_task(reader.after(cursor, wait=25))
        await asyncio.sleep(0.2)
        assert not poll.done()
        await app.post("/api/auth/logout-all", headers=login.bearer)
        page = await asyncio.wait_for(poll, 10)
    assert ("subject", _claims(login.access_token)["sub"]) in kinds(page)


async def test_an_empty_long_poll_answers_with_the_same_cursor(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    page = await reader.after(cursor, wait=0.3)
    assert page == {"cursor": cursor, "snapshot": False, "entries": []}


async def test_pruned_entries_make_an_older_cursor_gone_and_leave_the_snapshot(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    login = await sign_up(app, ANN)
    await app.post("/api/auth/logout-all", headers=login.bearer)
    revocations: feed.RevocationLog = registry(app).revocation_log
    assert await revocations.prune(utcnow() + revocations.retention + timedelta(seconds=1)) == 2
    body = assert_problem(await reader.get(after=cursor, wait=0), 410, "cursor_expired")
    assert "snapshot" in body["detail"]
    snapshot = await reader.snapshot()
    assert snapshot["entries"] == [] and snapshot["cursor"] > cursor
    assert (await reader.after(snapshot["cursor"]))["entries"] == []


async def test_a_cursor_the_feed_never_gave_is_gone(app) -> None:
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    assert_problem(await reader.get(after=cursor + 1000, wait=0), 410, "cursor_expired")
    assert_problem(await reader.get(after=-1), 422)


async def test_an_append_waits_for_an_earlier_one_to_commit_so_no_reader_skips_it(app) -> None:
    """The classic cursor bug: with a plain sequence, B (a later id) could commit first, a
    reader pass it, and A's lower id appear behind the reader's cursor for ever."""
    reader = await feed_reader(app)
    cursor = (await reader.snapshot())["cursor"]
    sessionmaker = registry(app).sessionmaker
    async with sessionmaker() as first, sessionmaker() as second:
        await feed.token_revoked(first, "jti-a")  # A holds an id, not committed

        async def append_b() -> None:
            await feed.token_revoked(second, "jti-b")
            await second.commit()

        b = asyncio.create_task(append_b())
        await asyncio.sleep(0.3)
        assert not b.done()  # B waits for A
        assert (await reader.after(cursor))["entries"] == []
        await first.commit()
        await asyncio.wait_for(b, 10)
    page = await reader.after(cursor)
    assert [(e["kind"], e["value"]) for e in page["entries"]] == [
        ("token", "jti-a"),
        ("token", "jti-b"),
    ]


async def test_the_feed_outlives_a_restart_of_the_service(make_client) -> None:
    async with make_client(**ADMIN) as app:
        reader = await feed_reader(app)
        cursor = (await reader.snapshot())["cursor"]
        login = await sign_up(app, ANN)
        await app.post("/api/auth/logout-all", headers=login.bearer)
    async with make_client(**ADMIN) as again:
        reader.client = again
        page = await reader.after(cursor)
    assert ("subject", _claims(login.access_token)["sub"]) in kinds(page)
