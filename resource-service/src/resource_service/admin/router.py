"""`GET /admin/stats`: for administrators and for services allowed to read statistics."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from resource_service.deps import DbDep, StatsReader
from resource_service.errors import problem_responses
from resource_service.notes import repository as notes

router = APIRouter(prefix="/admin", tags=["admin"])


class Stats(BaseModel):
    note_count: int
    owner_count: int


@router.get("/stats", response_model=Stats, responses=problem_responses(403))
async def stats(_: StatsReader, db: DbDep) -> Stats:
    """Needs the scope `admin` (a user with the admin role) or `stats:read` (a service)."""
    counts = await notes.counts(db)
    return Stats(note_count=counts.notes, owner_count=counts.owners)
