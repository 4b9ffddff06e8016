"""Liveness and readiness, for the orchestrator and the gateway."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter
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
async def readyz(ctx: ContextDep) -> Any:
    """Readiness: PostgreSQL answers."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), ctx.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure at all means "not ready"
        logger.warning("not ready: database check failed (%s)", type(exc).__name__)
        return problem_response(503, "not_ready", "Not ready", "Unavailable: database",
                                checks={"database": "unavailable"})  # fmt: skip
    return {"status": "ok", "checks": {"database": "ok"}}
