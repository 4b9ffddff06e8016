"""HTTP for the notes API: `/notes` and `/notes/{id}`, the caller's own notes only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from resource_service.deps import CurrentPrincipal, DbDep
from resource_service.errors import problem_responses
from resource_service.notes import service
from resource_service.notes.schemas import NoteCreate, NoteOut, NoteUpdate

router = APIRouter(prefix="/notes", tags=["notes"])

Limit = Annotated[int, Query(ge=1, le=100, description="At most this many notes")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="Skip this many notes")]


@router.get("", response_model=list[NoteOut], responses=problem_responses())
async def list_notes(
    principal: CurrentPrincipal, db: DbDep, limit: Limit = 50, offset: Offset = 0
) -> list[NoteOut]:
    """The caller's notes, newest first."""
    notes = await service.list_notes(db, principal.sub, limit=limit, offset=offset)
    return [NoteOut.model_validate(note) for note in notes]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=NoteOut,
    responses=problem_responses(400, 413),
)
async def create_note(
    body: NoteCreate,
    principal: CurrentPrincipal,
    db: DbDep,
    request: Request,
    response: Response,
) -> NoteOut:
    note = await service.create_note(db, principal.sub, body)
    # A relative reference (RFC 9110 §10.2.2): right behind any proxy, whatever its scheme.
    response.headers["Location"] = str(request.app.url_path_for("get_note", note_id=note.id))
    return NoteOut.model_validate(note)


@router.get("/{note_id}", response_model=NoteOut, responses=problem_responses(404))
async def get_note(note_id: uuid.UUID, principal: CurrentPrincipal, db: DbDep) -> NoteOut:
    return NoteOut.model_validate(await service.get_note(db, principal.sub, note_id))


@router.patch("/{note_id}", response_model=NoteOut, responses=problem_responses(400, 404, 413))
async def update_note(
    note_id: uuid.UUID, body: NoteUpdate, principal: CurrentPrincipal, db: DbDep
) -> NoteOut:
    return NoteOut.model_validate(await service.update_note(db, principal.sub, note_id, body))


@router.delete(
    "/{note_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
async def delete_note(note_id: uuid.UUID, principal: CurrentPrincipal, db: DbDep) -> Response:
    await service.delete_note(db, principal.sub, note_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
