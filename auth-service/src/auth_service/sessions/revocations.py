"""Has a session ended? Redis answers; PostgreSQL does when Redis lost its marks."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.sessions import repository
from auth_service.sessions.ledger import RotationLedger
from auth_service.timeutil import Clock
from auth_service.tokens.access import LEEWAY_SECONDS

logger = logging.getLogger("auth_service.sessions")


class SessionRevocations:
    """For the auth service's own Bearer endpoints: an ended session ends its access tokens."""

    def __init__(
        self,
        ledger: RotationLedger,
        sessionmaker: async_sessionmaker[AsyncSession],
        access_ttl: int,
        clock: Clock,
    ) -> None:
        self._ledger, self._sessionmaker, self._clock = ledger, sessionmaker, clock
        # Only sessions revoked within an access token's lifetime can still have live tokens.
        self._lookback = timedelta(seconds=access_ttl + 2 * LEEWAY_SECONDS)

    async def has_ended(self, sid: str) -> bool:
        known = await self._ledger.is_revoked(sid)
        if known is not None:
            return known
        async with self._sessionmaker() as db:
            revoked = await repository.revoked_since(db, self._clock.now() - self._lookback)
        await self._ledger.restore(revoked)
        # Nothing to restore is every fresh Redis's first request, not worth a line.
        level = logging.INFO if revoked else logging.DEBUG
        logger.log(
            level, "restored %d revoked-session marks to Redis from PostgreSQL", len(revoked)
        )
        return sid in {revoked_sid for revoked_sid, _ in revoked}
