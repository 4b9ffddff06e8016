"""Administration over HTTP: service clients, users and roles, the audit trail (scope `admin`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from auth_service.admin.deps import CurrentAdmin, current_admin
from auth_service.admin.schemas import (
    AuditEventOut,
    AuditPage,
    RegistrationTokenCreate,
    RegistrationTokenCreated,
    RolesUpdate,
    UserPage,
)
from auth_service.audit import service as audit
from auth_service.audit.service import Event
from auth_service.clients import service as clients
from auth_service.clients.apps import AppOptions
from auth_service.clients.schemas import ClientCreate, ClientCreated, ClientOut
from auth_service.deps import ClockDep, DbDep
from auth_service.errors import OwnRoles, problem_responses
from auth_service.mfa.deps import MfaDep
from auth_service.registration import tokens as registration_tokens
from auth_service.sessions.deps import LedgerDep
from auth_service.users import service as user_service
from auth_service.users.schemas import UserOut

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    # The caller's CURRENT role is checked on every request, not only the token's scope.
    dependencies=[Depends(current_admin)],
    responses=problem_responses(401, 403),
)


def _client_out(client: object) -> ClientOut:
    return ClientOut.model_validate(client, from_attributes=True)


@router.post(
    "/clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientCreated,
    responses=problem_responses(422),
)
async def create_client(body: ClientCreate, db: DbDep, principal: CurrentAdmin) -> ClientCreated:
    options = AppOptions(**body.model_dump(exclude={"name", "scopes"}))
    created = await clients.register(db, body.name, body.scopes, principal.sub, options)
    return ClientCreated(**_client_out(created.client).model_dump(), client_secret=created.secret)


@router.get("/clients", response_model=list[ClientOut])
async def list_clients(db: DbDep) -> list[ClientOut]:
    return [_client_out(client) for client in await clients.listed(db)]


@router.delete("/clients/{client_id}", status_code=204, responses=problem_responses(404))
async def delete_client(client_id: str, db: DbDep, principal: CurrentAdmin) -> Response:
    await clients.remove(db, client_id, actor=principal.sub)
    return Response(status_code=204)


@router.post(
    "/registration-tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationTokenCreated,
    responses=problem_responses(422),
)
async def create_registration_token(
    body: RegistrationTokenCreate, db: DbDep, principal: CurrentAdmin, clock: ClockDep
) -> RegistrationTokenCreated:
    """An initial access token for `POST /oauth/register` (AUTH_CLIENT_REGISTRATION=token):
    it registers up to `count` clients until it expires; shown once, stored hashed."""
    new = await registration_tokens.issue(
        db, principal.sub, clock.now(), body.expires_in, body.count
    )
    return RegistrationTokenCreated(token=new.token, expires_at=new.expires_at, count=new.count)


@router.get("/users", response_model=UserPage)
async def list_users(
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> UserPage:
    items, total = await user_service.page(db, limit, offset)
    return UserPage(
        items=[UserOut.model_validate(u, from_attributes=True) for u in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.patch("/users/{user_id}", response_model=UserOut, responses=problem_responses(404, 409))
async def update_roles(
    user_id: uuid.UUID,
    body: RolesUpdate,
    db: DbDep,
    ledger: LedgerDep,
    principal: CurrentAdmin,
    clock: ClockDep,
) -> UserOut:
    """A change ends the user's sessions; an administrator cannot change their own roles."""
    if principal.sub == str(user_id):
        raise OwnRoles("Another administrator must change your roles")
    user = await user_service.set_roles(
        db, ledger, user_id, body.roles, actor=principal.sub, now=clock.now()
    )
    return UserOut.model_validate(user, from_attributes=True)


@router.delete("/users/{user_id}/sessions", status_code=204, responses=problem_responses(404))
async def end_user_sessions(
    user_id: uuid.UUID, db: DbDep, ledger: LedgerDep, principal: CurrentAdmin, clock: ClockDep
) -> Response:
    """Ends every session of the user (their refresh tokens and, here, access tokens)."""
    await user_service.end_sessions_by_admin(
        db, ledger, user_id, actor=principal.sub, now=clock.now()
    )
    return Response(status_code=204)


@router.delete("/users/{user_id}/mfa", status_code=204, responses=problem_responses(404))
async def reset_second_factors(
    user_id: uuid.UUID, db: DbDep, mfa: MfaDep, principal: CurrentAdmin
) -> Response:
    """Removes the user's second factors (the authenticator app, the recovery codes): for
    someone who lost them. Their next log-in asks for the password only. Audited."""
    await mfa.reset(db, user_id, actor=principal.sub)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage)
async def audit_trail(
    db: DbDep,
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
