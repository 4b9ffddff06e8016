"""`RevocationFeed`: follows the auth service's revocation feed so that local verification
refuses, from memory, every token the feed names (a log-out, a revoked session, a role or
password change, a deleted client, an RFC 7009 revocation).

One long-poll task per process (`GET <url>/revocations?after=<cursor>&wait=<poll_wait>`)
with a client-credentials token of scope `revocations:read`. It starts from a snapshot,
starts over from one on a 410, and reconnects with exponential backoff and full jitter.
While the feed is out of reach it keeps refusing what it knew and logs a warning; past
`fail_closed_after` seconds (default None: never) verification fails closed with a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from auth_client.client_credentials import ClientCredentialsAuth
from auth_client.errors import InvalidTokenError, RevocationsStaleError
from auth_client.principal import Principal
from auth_client.revocation_index import RevocationIndex

logger = logging.getLogger("auth_client.revocations")

READ_SCOPE = "revocations:read"


@dataclass(slots=True)
class FeedStats:
    """For monitoring (service_kit.observability reads these at scrape time)."""

    polls: int = 0
    reloads: int = 0  # snapshots taken (the first one, and after each 410)
    reconnects: int = 0  # failed polls, each followed by a backoff
    refused: int = 0  # tokens refused because the feed named them


class FeedGone(Exception):
    """410: the cursor is older than the feed."""


class RevocationFeed:
    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        poll_wait: float = 20.0,
        fail_closed_after: float | None = None,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 5.0,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`url`: the auth service's base URL (e.g. `http://auth:8000/api/auth`): the feed
        is `<url>/revocations`, the token endpoint `<url>/oauth/token`."""
        base = url.rstrip("/")
        self.feed_url = f"{base}/revocations"
        self.poll_wait, self.fail_closed_after = poll_wait, fail_closed_after
        self._min_backoff, self._max_backoff = min_backoff, max_backoff
        self._clock = clock
        self._auth = ClientCredentialsAuth(
            client_id, client_secret, token_endpoint=f"{base}/oauth/token", scope=READ_SCOPE
        )
        self._owns_http = http_client is None
        # A long-poll may take `poll_wait`; the read timeout allows for it.
        self._http = http_client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, read=poll_wait + timeout)
        )
        self.index = RevocationIndex()
        self.stats = FeedStats()
        self.cursor: int | None = None
        self._following = False  # the last poll succeeded
        self._last_ok = clock()  # counts from the start until the first success
        self._loaded = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- verification ---------------------------------------------------------------------

    def check(self, principal: Principal) -> None:
        """Raises InvalidTokenError when the feed revoked the token, RevocationsStaleError
        when the feed has been out of reach longer than `fail_closed_after`."""
        limit = self.fail_closed_after
        if limit is not None and not self._following and self._clock() - self._last_ok > limit:
            raise RevocationsStaleError(f"The revocation feed is out of reach for over {limit} s")
        if self.index.refuses(principal):
            self.stats.refused += 1
            raise InvalidTokenError("The token has been revoked")

    @property
    def lag_seconds(self) -> float:
        """0 while following; else seconds since the last successful poll."""
        return 0.0 if self._following else max(0.0, self._clock() - self._last_ok)

    @property
    def status(self) -> str:
        """`ok`, `stale` (out of reach, failing open), `failing_closed`, or `starting`."""
        if self._following:
            return "ok"
        limit = self.fail_closed_after
        if limit is not None and self.lag_seconds > limit:
            return "failing_closed"
        return "stale" if self._loaded.is_set() else "starting"

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, first_load_timeout: float = 5.0) -> None:
        """Starts following; waits a little for the first snapshot (only logged if late)."""
        if self._task is None:
            self._task = asyncio.create_task(self._follow_forever())
        try:
            await asyncio.wait_for(self._loaded.wait(), first_load_timeout)
        except TimeoutError:
            logger.warning("revocation feed: no snapshot yet; following in the background")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._owns_http:
            await self._http.aclose()

    async def _follow_forever(self) -> None:
        delay = self._min_backoff
        while True:
            try:
                await self.poll_once()
                delay = self._min_backoff
            except FeedGone:
                logger.info("revocation feed: cursor gone (410); reloading from a snapshot")
                self.cursor = None
            except Exception as exc:
                self.stats.reconnects += 1
                if self._following:
                    logger.warning(
                        "revocation feed out of reach (%s); retrying", type(exc).__name__
                    )
                self._following = False
                await asyncio.sleep(random.uniform(0, delay))  # noqa: S311 (jitter)
                delay = min(delay * 2, self._max_backoff)

    async def poll_once(self) -> None:
        """One request: a snapshot without a cursor, else a long-poll after it."""
        snapshot = self.cursor is None
        params: dict[str, Any] = {} if snapshot else {"after": self.cursor, "wait": self.poll_wait}
        response = await self._http.get(self.feed_url, params=params, auth=self._auth)
        if response.status_code == httpx.codes.GONE:
            raise FeedGone()
        response.raise_for_status()
        page = response.json()
        self.stats.polls += 1
        if snapshot:
            self.index.replace(page["entries"])
            self.stats.reloads += 1
        else:
            self.index.add(page["entries"])
        self.cursor = int(page["cursor"])
        if not self._following and self._loaded.is_set():
            logger.info("revocation feed: following again")
        self._following, self._last_ok = True, self._clock()
        self._loaded.set()
