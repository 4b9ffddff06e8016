"""Wakes the feed's long-polls: PostgreSQL LISTEN on the channel that appends NOTIFY on
commit (so every replica hears every append). A long-poll also re-checks on its own, every
`recheck` seconds while the listener is connected and every `fallback` seconds while it is
not: a lost notification or connection delays an answer, never loses one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from auth_service.revocations.repository import CHANNEL

logger = logging.getLogger("auth_service.revocations")


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


class FeedWaker:
    def __init__(self, database_url: str, recheck: float = 5.0, fallback: float = 0.5) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._recheck, self._fallback = recheck, fallback
        self._event = asyncio.Event()
        self._listening = False
        self._released = False
        self._task: asyncio.Task[None] | None = None

    def changed(self) -> asyncio.Event:
        """The event the next append sets; take it before reading the feed."""
        return self._event

    async def wait(self, event: asyncio.Event, at_most: float) -> None:
        timeout = min(at_most, self._recheck if self._listening else self._fallback)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    @property
    def released(self) -> bool:
        """The process is stopping: a long-poll answers what it has instead of waiting."""
        return self._released

    def release(self) -> None:
        """Ends every wait now and every later one at once, so a stopping server's long-polls
        answer (an empty page: the client asks again, elsewhere) instead of being cancelled."""
        self._released = True
        self._wake()

    def _wake(self, *_: Any) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._listen()
                delay = 0.5
            except Exception as exc:  # the database is down or restarting: retry
                logger.warning("revocation feed listener: %s; retrying", type(exc).__name__)
            self._listening = False
            self._wake()  # whatever we missed meanwhile: let the long-polls re-check
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter)
            delay = min(delay * 2, 10.0)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn, timeout=5)
        lost = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(CHANNEL, self._wake)
            self._listening = True
            while not lost.is_set():  # a connection that silently died shows on a ping
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), 10)
                if not lost.is_set():
                    await connection.execute("SELECT 1", timeout=5)
        finally:
            self._listening = False
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
