"""Administration over HTTP: service clients, users and roles, the audit trail (scope `admin`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from auth_service.admin.schemas import AuditEventOut, AuditPage, RolesUpdate, UserPage
from auth_service.audit import service as audit
from auth_service.audit.service import Event
from auth_service.clients import repository as client_repository
from auth_service.clients import service as clients
from auth_service.clients.schemas import ClientCreate, ClientCreated, ClientOut
from auth_service.deps import CurrentPrincipal, SessionDep, require_scope
from auth_service.errors import problem_responses
from auth_service.users import repository as users
from auth_service.users import service as accounts
from auth_service.users.schemas import UserOut

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    dependencies=[require_scope("admin")],
    responses=problem_responses(401, 403),
)


def _client_out(client: object) -> ClientOut:
    return ClientOut.model_validate(client, from_attributes=True)


@router.post("/clients", status_code=status.HTTP_201_CREATED, response_model=ClientCreated)
async def create_client(
    body: ClientCreate, db: SessionDep, principal: CurrentPrincipal
) -> ClientCreated:
    created = await clients.register(db, body.name, body.scopes, actor=principal.sub)
    return ClientCreated(**_client_out(created.client).model_dump(), client_secret=created.secret)


@router.get("/clients", response_model=list[ClientOut])
async def list_clients(db: SessionDep) -> list[ClientOut]:
    return [_client_out(client) for client in await client_repository.all_clients(db)]


@router.delete("/clients/{client_id}", status_code=204, responses=problem_responses(404))
async def delete_client(client_id: str, db: SessionDep, principal: CurrentPrincipal) -> Response:
    await clients.remove(db, client_id, actor=principal.sub)
    return Response(status_code=204)


@router.get("/users", response_model=UserPage)
async def list_users(
    db: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> UserPage:
    items, total = await users.page(db, limit, offset)
    return UserPage(
        items=[UserOut.model_validate(u, from_attributes=True) for u in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.patch("/users/{user_id}", response_model=UserOut, responses=problem_responses(404, 409))
async def update_roles(
    user_id: uuid.UUID, body: RolesUpdate, db: SessionDep, principal: CurrentPrincipal
) -> UserOut:
    user = await accounts.set_roles(db, user_id, body.roles, actor=principal.sub)
    return UserOut.model_validate(user, from_attributes=True)


@router.get("/audit", response_model=AuditPage)
async def audit_trail(
    db: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="id of the last event seen")
    ] = None,
    event: Annotated[Event | None, Query()] = None,
) -> AuditPage:
    """Newest first; pass the `next_before` of one page as `before` to get the next."""
    events = await audit.page(db, limit=limit, before=before, event=event)
    items = [AuditEventOut.model_validate(e, from_attributes=True) for e in events]
    next_before = items[-1].id if len(items) == limit else None
    return AuditPage(items=items, next_before=next_before)
