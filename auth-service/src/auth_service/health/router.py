from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from auth_service.deps import EngineDep, RedisDep
from auth_service.errors import problem_response

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "PostgreSQL or Redis is unreachable"}})
async def readyz(engine: EngineDep, redis: RedisDep) -> Any:
    """Readiness: PostgreSQL and Redis both answer."""
    checks = {"database": "ok", "redis": "ok"}
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        checks["database"] = "unavailable"
    try:
        await redis.ping()
    except Exception:
        checks["redis"] = "unavailable"
    if all(value == "ok" for value in checks.values()):
        return {"status": "ok", "checks": checks}
    down = ", ".join(name for name, value in checks.items() if value != "ok")
    response: JSONResponse = problem_response(
        503, "not_ready", "Not ready", f"Unavailable: {down}", checks=checks
    )
    return response
