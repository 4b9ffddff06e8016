from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from auth_service.deps import CurrentPrincipal, CurrentUserId, DbDep
from auth_service.errors import problem_responses
from auth_service.sessions.deps import SessionsDep
from auth_service.sessions.schemas import SessionOut

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.get("", response_model=list[SessionOut], responses=problem_responses(401))
async def list_sessions(
    principal: CurrentPrincipal, user_id: CurrentUserId, db: DbDep, sessions: SessionsDep
) -> list[SessionOut]:
    return [
        SessionOut(
            id=s.id,
            created_at=s.created_at,
            last_used_at=s.last_used_at,
            expires_at=s.expires_at,
            user_agent=s.user_agent,
            ip_address=s.ip_address,
            current=str(s.id) == principal.sid,
        )
        for s in await sessions.list_live(db, user_id)
    ]


@router.delete("/{sid}", status_code=204, responses=problem_responses(401, 404))
async def revoke_session(
    sid: uuid.UUID, user_id: CurrentUserId, db: DbDep, sessions: SessionsDep
) -> Response:
    await sessions.end_one(db, user_id, sid)
    return Response(status_code=204)
