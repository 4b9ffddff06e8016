"""Liveness and readiness, for the orchestrator and the gateway."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from auth_client.fastapi import get_auth_client
from fastapi import APIRouter, Request
from sqlalchemy import text

from resource_service.deps import ContextDep
from resource_service.errors import problem_response, problem_responses

router = APIRouter(tags=["health"])
logger = logging.getLogger("resource_service.health")

READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: problem_responses()[503]})
async def readyz(ctx: ContextDep, request: Request) -> Any:
    """Readiness: PostgreSQL answers, and the issuer's keys have been fetched at least once.

    Keys fetched once stay in use through an auth-service outage, so this only holds a
    service back until it can check a token at all.
    """
    checks = {"database": "ok", "keys": "ok"}
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), ctx.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure at all means "not ready"
        logger.warning("not ready: database check failed (%s)", type(exc).__name__)
        checks["database"] = "unavailable"
    auth = get_auth_client(request)
    if not auth.keys.kids and not await auth.keys.load():
        checks["keys"] = "unavailable"
    if auth.revocations is not None:
        # "stale" (the feed is out of reach, tokens still verified with what is known) keeps
        # the service ready; past fail_closed_after it answers 503 anyway, so it is not.
        feed = auth.revocations.status
        checks["revocations"] = "unavailable" if feed == "failing_closed" else feed
    if all(value in ("ok", "stale", "starting") for value in checks.values()):
        return {"status": "ok", "checks": checks}
    down = ", ".join(name for name, value in checks.items() if value != "ok")
    return problem_response(503, "not_ready", "Not ready", f"Unavailable: {down}", checks=checks)
