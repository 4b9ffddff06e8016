"""The only place that queries notes. Repositories flush; the request's transaction commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from resource_service.notes.models import Note


async def list_owned(
    session: AsyncSession, owner_sub: str, limit: int, offset: int
) -> Sequence[Note]:
    query = (
        select(Note)
        .where(Note.owner_sub == owner_sub)
        .order_by(col(Note.created_at).desc(), col(Note.id))
        .limit(limit)
        .offset(offset)
    )
    return (await session.exec(query)).all()


async def get_owned(session: AsyncSession, note_id: uuid.UUID, owner_sub: str) -> Note | None:
    # Owner in the WHERE clause: someone else's note is simply not found.
    query = select(Note).where(Note.id == note_id, Note.owner_sub == owner_sub)
    return (await session.exec(query)).first()


async def save(session: AsyncSession, note: Note) -> Note:
    """Insert a new note or write a changed one."""
    session.add(note)
    await session.flush()
    return note


async def delete(session: AsyncSession, note: Note) -> None:
    await session.delete(note)
    await session.flush()


@dataclass(frozen=True)
class NoteCounts:
    notes: int
    owners: int


async def counts(session: AsyncSession) -> NoteCounts:
    query = select(func.count(), func.count(func.distinct(Note.owner_sub))).select_from(Note)
    notes, owners = (await session.exec(query)).one()
    return NoteCounts(notes=notes, owners=owners)
