"""`RevocationFeed`: an `AuthClient` refuses, from memory, what the feed names; it follows
through 410s and outages, and fails closed only when told to."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from auth_client import AuthClient, InvalidTokenError, RevocationFeed, RevocationsStaleError
from auth_client.testing import LocalIssuer, ManualClock
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class FeedServer:
    def __init__(self, issuer: LocalIssuer, retention: int = 960) -> None:
        self.entries: list[dict[str, Any]] = []
        self.retention = retention
        self.gone_next = False  # the next long-poll answers 410
        self.available = True
        self.requests: list[dict[str, str]] = []
        issuer.app.router.routes.append(Route("/revocations", self._feed))

    def revoke(self, kind: str, value: str, not_before: int | None = None) -> None:
        self.entries.append(
            {
                "id": len(self.entries) + 1,
                "kind": kind,
                "value": value,
                "not_before": not_before,
                "expires_at": int(time.time()) + self.retention,
            }
        )

    async def _feed(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        self.requests.append(params)
        if not self.available:
            return JSONResponse({"error": "down"}, status_code=503)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"code": "missing_token"}, status_code=401)
        if "after" not in params:
            page = {"cursor": len(self.entries), "snapshot": True, "entries": self.entries}
            return JSONResponse(page)
        if self.gone_next:
            self.gone_next = False
            return JSONResponse({"code": "cursor_expired"}, status_code=410)
        cursor = int(params["after"])
        deadline = time.monotonic() + float(params.get("wait", 0))
        # Polled: the server runs in another thread, whose appends cannot set an Event here.
        while len(self.entries) <= cursor and time.monotonic() < deadline and self.available:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        fresh = self.entries[cursor:]
        return JSONResponse({"cursor": len(self.entries), "snapshot": False, "entries": fresh})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def feed_server(issuer: LocalIssuer) -> FeedServer:
    return FeedServer(issuer)


def _feed(issuer: LocalIssuer, url: str | None = None, **options) -> RevocationFeed:
    client_id, secret = issuer.register_client(["revocations:read"])
    return RevocationFeed(url or issuer.issuer, client_id, secret, poll_wait=1, **options)


@pytest.fixture
async def following(issuer: LocalIssuer, feed_server: FeedServer) -> AsyncIterator[AuthClient]:
    async with AuthClient(
        issuer=issuer.issuer, audience=issuer.audience, revocations=_feed(issuer)
    ) as client:
        yield client


async def _eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):  # a bound on a hang, not a timing claim
        while not condition():  # noqa: ASYNC110 (the feed task changes it)
            await asyncio.sleep(0.02)


async def _refused(client: AuthClient, token: str) -> bool:
    try:
        await client.verify(token)
    except InvalidTokenError:
        return True
    return False


async def test_a_revoked_session_is_refused_even_from_the_verified_token_cache(
    issuer: LocalIssuer, feed_server: FeedServer, following: AuthClient
) -> None:
    token = issuer.mint_user()
    principal = await following.verify(token)
    await following.verify(token)
    assert following.token_cache is not None and following.token_cache.hits == 1
    feed_server.revoke("session", principal.sid or "")
    await _eventually(lambda: principal.sid in following.revocations.index.sids)  # type: ignore[union-attr]
    with pytest.raises(InvalidTokenError, match="revoked"):
        await following.verify(token)
    assert following.token_cache.hits == 2  # refused on a cache hit, not by a fresh check


async def test_each_kind_of_entry_refuses_its_tokens_and_nothing_else(
    issuer: LocalIssuer, feed_server: FeedServer, following: AuthClient
) -> None:
    now = int(time.time())
    old = issuer.mint("ann", iat=now - 10, sid="s-ann")
    new = issuer.mint("ann", iat=now + 1, sid="s-ann-2")
    service = issuer.mint("svc-x", client_id="svc-x")
    single = issuer.mint_user()
    other = issuer.mint_user()
    feed_server.revoke("subject", "ann", not_before=now)
    feed_server.revoke("client", "svc-x")
    feed_server.revoke("token", (await following.verify(single)).claims["jti"])
    feed = following.revocations
    assert feed is not None
    await _eventually(lambda: len(feed.index) == 3)
    for token in (old, service, single):
        assert await _refused(following, token)
    for token in (new, other):
        assert not await _refused(following, token)
    assert feed.stats.refused == 3


async def test_a_410_reloads_the_index_from_a_snapshot(
    issuer: LocalIssuer, feed_server: FeedServer, following: AuthClient
) -> None:
    feed = following.revocations
    assert feed is not None and feed.stats.reloads == 1
    feed_server.gone_next = True
    await _eventually(lambda: feed.stats.reloads == 2)
    feed_server.revoke("session", "s-after-410")
    await _eventually(lambda: "s-after-410" in feed.index.sids)
    snapshots = [r for r in feed_server.requests if "after" not in r]
    assert len(snapshots) == 2


async def test_an_unreachable_feed_backs_off_and_verification_fails_open_by_default(
    issuer: LocalIssuer,
) -> None:
    feed = _feed(issuer, url=f"http://127.0.0.1:{free_port()}", min_backoff=0.05, max_backoff=0.2)
    async with AuthClient(
        issuer=issuer.issuer, audience=issuer.audience, revocations=feed
    ) as client:
        await _eventually(lambda: feed.stats.reconnects >= 3)
        assert feed.status == "starting" and feed.lag_seconds > 0
        assert (await client.verify(issuer.mint_user())).sub


async def test_past_fail_closed_after_verification_answers_503_until_the_feed_is_back(
    issuer: LocalIssuer, feed_server: FeedServer
) -> None:
    clock = ManualClock(1_000.0)
    feed = _feed(issuer, fail_closed_after=30, min_backoff=0.05, max_backoff=0.1, clock=clock)
    async with AuthClient(
        issuer=issuer.issuer, audience=issuer.audience, revocations=feed
    ) as client:
        token = issuer.mint_user()
        feed_server.available = False
        await _eventually(lambda: feed.status == "stale")
        clock.advance(20)
        assert (await client.verify(token)).sub  # stale, within the bound: still served
        clock.advance(11)
        assert feed.status == "failing_closed"
        with pytest.raises(RevocationsStaleError) as refused:
            await client.verify(token)
        assert refused.value.status_code == 503
        assert refused.value.headers("realm")["Retry-After"]
        feed_server.available = True
        await _eventually(lambda: feed.status == "ok")
        assert (await client.verify(token)).sub
