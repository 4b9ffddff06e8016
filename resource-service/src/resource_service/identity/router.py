"""`GET /me`: who the verified token says the caller is."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from service_kit.routes import DirectRoute

from resource_service.deps import CurrentPrincipal
from resource_service.errors import problem_responses

# The hot path of every resource server: the principal without FastAPI's solver.
router = APIRouter(tags=["identity"], route_class=DirectRoute)


class Identity(BaseModel):
    sub: str
    email: str | None
    scope: str
    sid: str | None
    client_id: str | None


@router.get("/me", response_model=Identity, responses=problem_responses())
async def me(principal: CurrentPrincipal) -> Identity:
    """The caller as verified from the token alone (no call to the auth service)."""
    return Identity(
        sub=principal.sub,
        email=principal.email,
        scope=principal.scope,
        sid=principal.sid,
        client_id=principal.client_id,
    )
