"""The one place where a request commits before it ends, and why it may.

A request has one transaction: the session dependency (`service_kit.db.transaction`)
commits it when the route succeeds and rolls it back when the route raises. A service
commits earlier only through `commit_now`, naming one of the reasons below; everything the
request wrote so far is committed with it, on the request's own connection (a second
pooled connection per request is how a burst of failures would exhaust the pool), and the
session opens a new transaction at its next statement. Loaded objects stay usable
(the session factory sets `expire_on_commit=False`).

- `REFUSAL_AUDITED`: an audited refusal (a wrong password, code, passkey or link) must
  outlive the rollback that its 4xx brings, and so must what it counted (a log-in
  challenge's wrong codes), or an attacker's tries would leave no trace and cost nothing.
- `ROTATION_DURABLE`: a refresh rotation must be durable before its successor token is
  answered: a client must never hold a token that PostgreSQL could still roll back, and a
  racing replay of the spent token reads the moved row (and its grace) at once.
- `REUSE_REVOKED`: a session ended for refresh-token reuse, with its audit event and its
  revocation-feed entry, must outlive the 401 that answers the reuse, and be in
  PostgreSQL before Redis is told (Redis only repeats what PostgreSQL has committed).
- `HASHER_WAIT`: the connection goes back to the pool while the password hasher works
  (tens of milliseconds on a worker thread): a burst of log-ins must not hold a pooled
  connection each while it waits on CPU.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

logger = logging.getLogger("auth_service.transactions")


class Why(StrEnum):
    """A reason for a request to commit before it ends (see the module's docstring)."""

    REFUSAL_AUDITED = "refusal_audited"
    ROTATION_DURABLE = "rotation_durable"
    REUSE_REVOKED = "reuse_revoked"
    HASHER_WAIT = "hasher_wait"


async def commit_now(db: AsyncSession, why: Why) -> None:
    """Commit the request's transaction now, for `why`: all it wrote so far."""
    await db.commit()
    logger.debug("committed mid-request: %s", why.value)
