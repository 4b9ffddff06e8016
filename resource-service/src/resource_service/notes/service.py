"""The rules of notes: each belongs to the principal that wrote it, and only they see it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from resource_service.errors import NotFound
from resource_service.notes import repository
from resource_service.notes.models import Note
from resource_service.notes.schemas import NoteCreate, NoteUpdate


class NoteNotFound(NotFound):
    code, title = "note_not_found", "Note not found"


async def list_notes(
    session: AsyncSession, owner_sub: str, *, limit: int, offset: int
) -> Sequence[Note]:
    return await repository.list_owned(session, owner_sub, limit, offset)


async def create_note(session: AsyncSession, owner_sub: str, data: NoteCreate) -> Note:
    now = datetime.now(UTC)
    note = Note(
        owner_sub=owner_sub, title=data.title, body=data.body, created_at=now, updated_at=now
    )
    return await repository.save(session, note)


async def get_note(session: AsyncSession, owner_sub: str, note_id: uuid.UUID) -> Note:
    note = await repository.get_owned(session, note_id, owner_sub)
    if note is None:
        # The same answer whether the note does not exist or is someone else's (never 403):
        # a caller learns nothing about other people's ids.
        raise NoteNotFound(f"There is no note {note_id}")
    return note


async def update_note(
    session: AsyncSession, owner_sub: str, note_id: uuid.UUID, changes: NoteUpdate
) -> Note:
    note = await get_note(session, owner_sub, note_id)
    fields = changes.model_dump(exclude_unset=True)
    if fields:
        for name, value in fields.items():
            setattr(note, name, value)
        note.updated_at = datetime.now(UTC)
        await repository.save(session, note)
    return note


async def delete_note(session: AsyncSession, owner_sub: str, note_id: uuid.UUID) -> None:
    await repository.delete(session, await get_note(session, owner_sub, note_id))
