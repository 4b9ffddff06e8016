"""Has a session ended? Redis answers; PostgreSQL does when Redis lost its marks."""

from __future__ import annotations

import logging
from datetime import timedelta

from auth_service.context import AuthContext
from auth_service.sessions import repository
from auth_service.timeutil import utcnow
from auth_service.tokens.access import LEEWAY_SECONDS

logger = logging.getLogger("auth_service.sessions")


async def has_ended(ctx: AuthContext, sid: str) -> bool:
    """For the auth service's own Bearer endpoints: an ended session ends its access tokens."""
    known = await ctx.denylist.is_revoked(sid)
    if known is not None:
        return known
    # Only sessions revoked within an access token's lifetime can still have live tokens.
    since = utcnow() - timedelta(seconds=ctx.settings.access_token_ttl + 2 * LEEWAY_SECONDS)
    async with ctx.sessions() as db:
        revoked = await repository.revoked_since(db, since)
    await ctx.denylist.restore(revoked)
    logger.warning("restored %d revoked-session marks to Redis from PostgreSQL", len(revoked))
    return sid in {revoked_sid for revoked_sid, _ in revoked}
