"""Administration over HTTP: service clients, users and roles (scope `admin`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from auth_service.admin.schemas import RolesUpdate, UserPage
from auth_service.clients import repository as client_repository
from auth_service.clients import service as clients
from auth_service.clients.schemas import ClientCreate, ClientCreated, ClientOut
from auth_service.deps import SessionDep, require_scope
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
async def create_client(body: ClientCreate, db: SessionDep) -> ClientCreated:
    created = await clients.register(db, body.name, body.scopes)
    return ClientCreated(**_client_out(created.client).model_dump(), client_secret=created.secret)


@router.get("/clients", response_model=list[ClientOut])
async def list_clients(db: SessionDep) -> list[ClientOut]:
    return [_client_out(client) for client in await client_repository.all_clients(db)]


@router.delete("/clients/{client_id}", status_code=204, responses=problem_responses(404))
async def delete_client(client_id: str, db: SessionDep) -> Response:
    await clients.remove(db, client_id)
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
async def update_roles(user_id: uuid.UUID, body: RolesUpdate, db: SessionDep) -> UserOut:
    user = await accounts.set_roles(db, user_id, body.roles)
    return UserOut.model_validate(user, from_attributes=True)
