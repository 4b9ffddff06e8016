"""Connected apps: the applications a person allowed, and withdrawing one. Its refresh
tokens die, and its access tokens stop at every resource server (the revocation feed)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from auth_service.deps import CurrentUserId, DbDep
from auth_service.errors import NotFound, problem_responses
from auth_service.oidc import consents
from auth_service.oidc.deps import LedgerDep
from auth_service.revocations import service as feed
from auth_service.sessions import repository as sessions
from auth_service.timeutil import utcnow

router = APIRouter(prefix="/grants", tags=["openid provider"])


class GrantOut(BaseModel):
    client_id: str
    name: str
    scopes: list[str]
    granted_at: datetime


@router.get("", response_model=list[GrantOut], responses=problem_responses(401))
async def list_grants(user_id: CurrentUserId, db: DbDep) -> list[GrantOut]:
    return [
        GrantOut(client_id=row[0], name=row[1], scopes=list(row[2]), granted_at=row[3])
        for row in await consents.of_user(db, user_id)
    ]


@router.delete("/{client_id}", status_code=204, responses=problem_responses(401, 404))
async def withdraw_grant(
    client_id: str, user_id: CurrentUserId, db: DbDep, ledger: LedgerDep
) -> Response:
    withdrew = await consents.withdraw(db, user_id, client_id[:64])
    sids = await sessions.revoke_families(db, user_id, client_id[:64], utcnow())
    if not (withdrew or sids):
        raise NotFound("No such connected app")
    if sids:
        await ledger.revoke_sessions(sids, "grant_withdrawn")
        await feed.sessions_ended(db, sids)  # last: it holds the feed's lock to commit
    return Response(status_code=204)
