"""A hundred simultaneous hostile requests at the second step of a log-in, the passkey
log-in and the revocation feed: one success where one is due, a 4xx problem for every
other answer (never a 5xx), the limits held, and the pool left for everyone else.

The test pool holds 5 (+5 overflow) connections: far fewer than the requests."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterable

import httpx
import pytest
from auth_service.config import Settings

from tests.feed_helpers import ADMIN, feed_reader, kinds
from tests.helpers import PASSWORD, assert_problem, jwt_parts, registry, sign_up_verified
from tests.passkeyflows import login_options, user_with_passkey
from tests.second_factor import Enrolled, enrol_totp, password_step, second_step

EMAIL = "ann@example.org"
N = 100
# Over each gather: a stalled request fails the test instead of hanging it.
GUARD = 60.0


@pytest.fixture
async def enrolled(client) -> Enrolled:
    return await enrol_totp(client, await sign_up_verified(client, EMAIL))


async def warm_pool(client: httpx.AsyncClient) -> None:
    """Every pooled connection open and idle: the racers reach PostgreSQL together, instead
    of the first one finishing while the others still connect."""
    engine = registry(client).engine
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(engine.pool.size()):
            await stack.enter_async_context(engine.connect())


async def together(calls: Iterable) -> list[httpx.Response]:
    async with asyncio.timeout(GUARD):
        return list(await asyncio.gather(*calls))


def refusals(answers: list[httpx.Response]) -> Counter[tuple[int, str]]:
    """(status, code) of every answer but the 200s, each a 4xx problem (429: Retry-After)."""
    seen: Counter[tuple[int, str]] = Counter()
    for answer in answers:
        if answer.status_code == 200:
            continue
        assert 400 <= answer.status_code < 500, answer.text
        body = assert_problem(answer, answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) > 0
        seen[(answer.status_code, body["code"])] += 1
    return seen


async def _count(db, sql: str) -> int:
    return int(await db.fetchval(sql))


async def test_a_hundred_second_steps_with_one_token_and_one_code_make_one_session(
    client, enrolled, db
) -> None:
    token = (await password_step(client, EMAIL))["mfa_token"]
    code = enrolled.fresh_code()
    sessions = await _count(db, "SELECT count(*) FROM sessions")
    await warm_pool(client)
    answers = await together(second_step(client, token, code=code) for _ in range(N))
    (won,) = [a for a in answers if a.status_code == 200]
    assert jwt_parts(won.json()["access_token"])[1]["amr"] == ["pwd", "otp", "mfa"]
    assert set(refusals(answers)) <= {(401, "invalid_mfa_token"), (429, "rate_limited")}
    assert await _count(db, "SELECT count(*) FROM sessions") == sessions + 1
    events = "SELECT count(*) FROM audit_events WHERE event = 'login_succeeded'"
    assert await _count(db, events) == 1
    # Spent: even a code never used before does not complete it.
    again = await second_step(client, token, code=enrolled.fresh_code())
    assert_problem(again, 401, "invalid_mfa_token")


def _wrong_codes(enrolled: Enrolled) -> list[str]:
    accepted = {enrolled.code(offset) for offset in (-1, 0, 1)}
    return [c for c in (f"{i:06d}" for i in range(N + 3)) if c not in accepted][:N]


async def test_a_hundred_wrong_codes_on_one_token_count_five_and_void_it(make_client, db) -> None:
    async with make_client() as client:
        limit = registry(client).settings.login_max_failures_per_account
        enrolled = await enrol_totp(client, await sign_up_verified(client, EMAIL))
        token = (await password_step(client, EMAIL))["mfa_token"]
        wrong = _wrong_codes(enrolled)
        await warm_pool(client)
        answers = await together(second_step(client, token, code=c) for c in wrong)
        seen = refusals(answers)
        assert sum(seen.values()) == N  # no success
        assert set(seen) <= {
            (401, "invalid_mfa_code"),
            (401, "invalid_mfa_token"),
            (429, "rate_limited"),
        }
        # Five wrong codes were counted (the fifth voids it, "0 more"), no more.
        assert seen[(401, "invalid_mfa_code")] == 4
        assert await _count(db, "SELECT failures FROM mfa_challenges") == 5
        events = "SELECT count(*) FROM audit_events WHERE event = 'mfa_failed'"
        assert await _count(db, events) == 5
        right = await second_step(client, token, code=enrolled.code())
        assert_problem(right, 401, "invalid_mfa_token")
        # Each counted wrong code is one failed log-in of the account from this address,
        # and only those five: the account has exactly `limit - 5` failures left here.
        body = {"email": EMAIL, "password": "not-the-password-1"}
        for _ in range(limit - 5):
            assert_problem(await client.post("/api/auth/login", json=body), 401)
        limited = await client.post("/api/auth/login", json=body)
        assert_problem(limited, 429, "rate_limited")


async def test_one_recovery_code_raced_by_a_hundred_log_ins_completes_one(
    client, enrolled, db
) -> None:
    tokens: list[str] = []
    for _ in range(N // 4):  # four at a time: well under the per-account limit of 10
        steps = await together(password_step(client, EMAIL) for _ in range(4))
        tokens += [step["mfa_token"] for step in steps]
    sessions = await _count(db, "SELECT count(*) FROM sessions")
    code = enrolled.recovery_codes[0]
    await warm_pool(client)
    answers = await together(second_step(client, t, recovery_code=code) for t in tokens)
    assert [a.status_code for a in answers].count(200) == 1
    assert set(refusals(answers)) <= {(401, "invalid_mfa_code"), (429, "rate_limited")}
    assert await _count(db, "SELECT count(*) FROM sessions") == sessions + 1
    assert await _count(db, "SELECT count(*) FROM mfa_recovery_codes") == 9
    used = "SELECT count(*) FROM audit_events WHERE event = 'recovery_code_used'"
    assert await _count(db, used) == 1


async def test_a_hundred_passkey_options_requests_get_the_limit_then_429(client) -> None:
    limit = Settings.model_fields["webauthn_options_per_minute"].default
    assert registry(client).settings.webauthn_options_per_minute == limit
    options = "/api/auth/webauthn/login/options"
    answers = await together(client.post(options) for _ in range(N))
    granted = [a for a in answers if a.status_code == 200]
    assert len(granted) == limit
    assert len({a.json()["challenge"] for a in granted}) == limit
    assert refusals(answers) == {(429, "rate_limited"): N - limit}
    assert all(int(a.headers["retry-after"]) <= 60 for a in answers if a.status_code == 429)


# None: the authenticator counts its signatures; 0: it does not (synced passkeys), so
# only the challenge's single use stops a replay.
@pytest.mark.parametrize("counter", [None, 0], ids=["counting", "not_counting"])
async def test_one_passkey_assertion_replayed_a_hundred_times_logs_in_once(
    client, db, counter: int | None
) -> None:
    _, device = await user_with_passkey(client)
    assertion = device.get(await login_options(client), counter=counter)
    sessions = await _count(db, "SELECT count(*) FROM sessions")
    url = "/api/auth/webauthn/login"
    await warm_pool(client)
    answers = await together(client.post(url, json={"credential": assertion}) for _ in range(N))
    (won,) = [a for a in answers if a.status_code == 200]
    assert jwt_parts(won.json()["access_token"])[1]["amr"] == ["hwk"]
    assert refusals(answers) == {(401, "passkey_rejected"): N - 1}
    assert await _count(db, "SELECT count(*) FROM sessions") == sessions + 1
    events = "SELECT count(*) FROM audit_events WHERE event = 'login_succeeded'"
    assert await _count(db, events) == 1
    # Each replay is refused as a spent challenge, not blamed on a cloned authenticator.
    rows = await db.fetch(
        "SELECT details FROM audit_events WHERE event = 'passkey_assertion_failed'"
    )
    assert len(rows) == N - 1
    assert all('"reason": "challenge"' in row["details"] for row in rows)


class _Waiting:
    """Counts the long-polls waiting for the feed to change (wraps the feed's waker)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.now = 0
        self.not_woken = 0  # waits that ended at their time-out, not by the feed's change
        waker = registry(client).revocation_log._waker
        self._wait = waker.wait
        waker.wait = self._counted

    async def _counted(self, event: asyncio.Event, at_most: float) -> None:
        self.now += 1
        try:
            await self._wait(event, at_most)
        finally:
            self.now -= 1
        self.not_woken += not event.is_set()

    async def all_of(self, polls: list[asyncio.Future[httpx.Response]]) -> None:
        """Until every poll waits; a poll that answers before the feed changed fails."""
        async with asyncio.timeout(GUARD):
            while self.now < len(polls):
                done = [poll.result() for poll in polls if poll.done()]
                assert not done, f"a poll answered early: {done[0].status_code} {done[0].text}"
                await asyncio.sleep(0.01)


async def test_a_hundred_long_polls_all_get_a_log_out_and_leave_the_pool_free(
    make_client,
) -> None:
    # No re-check within the wait: only the log-out's NOTIFY can answer a poll with it.
    async with make_client(**ADMIN, revocation_recheck_interval=25) as client:
        reader = await feed_reader(client)
        cursor = (await reader.snapshot())["cursor"]
        login = await sign_up_verified(client, EMAIL)
        waiting = _Waiting(client)
        polls = [asyncio.ensure_future(reader.get(after=cursor, wait=20)) for _ in range(N)]
        await waiting.all_of(polls)
        # Meanwhile everyone else is served: the polls hold no pooled connection.
        health, ready, other = await together(
            [
                client.get("/api/auth/healthz"),
                client.get("/api/auth/readyz"),
                client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD}),
            ]
        )
        assert (health.status_code, ready.status_code, other.status_code) == (200, 200, 200)
        assert waiting.now == N
        out = await client.post(
            "/api/auth/logout",
            headers={"Cookie": f"refresh_token={login.refresh_token}", "X-Requested-With": "x"},
        )
        assert out.status_code == 204
        answers = await together(polls)
        assert [a.status_code for a in answers] == [200] * N
        sid = jwt_parts(login.access_token)[1]["sid"]
        assert all(kinds(a.json()) == {("session", sid)} for a in answers)
        assert len({a.json()["cursor"] for a in answers}) == 1
        assert waiting.not_woken == 0  # each was answered by the log-out's wake-up
