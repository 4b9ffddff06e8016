"""The revocation feed: entries appended in the transaction of the change they reflect,
read by resource servers (auth-client's `RevocationFeed`) after a cursor, long-polled.

Kinds: `session` (a session id: every token of it), `subject` (a user id and a not-before
time: their tokens issued earlier), `client` (a deleted service client's id), `token` (an
access token's `jti`, RFC 7009). Each is kept for an access token's lifetime plus leeway:
after that, every token it could deny has expired anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.revocations import repository
from auth_service.revocations.repository import Entry
from auth_service.revocations.waker import FeedWaker
from auth_service.timeutil import Clock, utcnow

SESSION, SUBJECT, CLIENT, TOKEN = "session", "subject", "client", "token"
PAGE_SIZE = 1000


async def sessions_ended(db: AsyncSession, sids: Iterable[str]) -> None:
    await repository.append(db, [(SESSION, str(sid), None) for sid in sids], utcnow())


async def subject_ended(
    db: AsyncSession, sub: str, now: datetime, sids: Iterable[str] = ()
) -> None:
    """The user's tokens issued before `now` end (and those of the sessions `sids`, which
    covers a token issued earlier within this very second)."""
    rows: list[tuple[str, str, int | None]] = [(SESSION, str(sid), None) for sid in sids]
    rows.append((SUBJECT, sub, int(now.timestamp())))
    await repository.append(db, rows, now)


async def client_deleted(db: AsyncSession, client_id: str) -> None:
    await repository.append(db, [(CLIENT, client_id, None)], utcnow())


async def token_revoked(db: AsyncSession, jti: str) -> None:
    await repository.append(db, [(TOKEN, jti, None)], utcnow())


class CursorGone(Exception):
    """The cursor is older than the feed (entries after it were pruned) or not one of its."""


@dataclass(frozen=True, slots=True)
class Page:
    cursor: int
    entries: list[Entry]
    snapshot: bool


class RevocationLog:
    """The feed's entries as this service reads them: snapshots and pages after a cursor
    (a long-poll waits for the waker (NOTIFY) or re-checks on its own), whether they deny
    a token, and pruning."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        waker: FeedWaker,
        retention: timedelta,
        clock: Clock,
    ) -> None:
        self._sessionmaker, self._waker, self.retention = sessionmaker, waker, retention
        self._clock = clock

    async def snapshot(self) -> Page:
        """Every live entry and the cursor to follow from (pages of PAGE_SIZE are joined)."""
        async with self._sessionmaker() as db:
            head = await repository.head(db)
            entries: list[Entry] = []
            cursor = head.pruned_through
            while True:
                page = await repository.after(db, cursor, head.last_id, PAGE_SIZE)
                entries += page
                if len(page) < PAGE_SIZE:
                    break
                cursor = page[-1].id
        floor = self._clock.now() - self.retention
        live = [entry for entry in entries if entry.created_at >= floor]
        return Page(head.last_id, live, snapshot=True)

    async def after(self, cursor: int, wait: float) -> Page:
        """What came after `cursor`, waiting up to `wait` seconds for something to come."""
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            woken = self._waker.changed()  # taken before reading: no wake-up is lost
            page = await self._read_after(cursor)
            remaining = deadline - asyncio.get_running_loop().time()
            if page.entries or remaining <= 0 or self._waker.released:
                return page
            await self._waker.wait(woken, remaining)

    async def _read_after(self, cursor: int) -> Page:
        async with self._sessionmaker() as db:
            head = await repository.head(db)
            if cursor < head.pruned_through or cursor > head.last_id:
                raise CursorGone()
            entries = await repository.after(db, cursor, head.last_id, PAGE_SIZE)
        return Page(entries[-1].id if entries else cursor, entries, snapshot=False)

    async def prune(self, now: datetime | None = None) -> int:
        async with self._sessionmaker() as db, db.begin():
            return await repository.prune(db, (now or self._clock.now()) - self.retention)

    async def client_holds_scope(self, client_id: str, scope: str) -> bool:
        """In a short session of its own: a long-poll must not keep a pooled connection
        while it waits."""
        async with self._sessionmaker() as db:
            return await repository.client_holds_scope(db, client_id, scope)

    async def denies(
        self, *, sid: str | None, jti: str | None, client_id: str | None, sub: str, iat: int
    ) -> bool:
        async with self._sessionmaker() as db:
            return await repository.denies(
                db, sid=sid, jti=jti, client_id=client_id, sub=sub, iat=iat
            )
