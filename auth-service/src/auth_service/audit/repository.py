"""The only queries of the audit trail: append an event, read a page (newest first)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.models import AuditEvent


async def add(db: AsyncSession, event: AuditEvent) -> None:
    db.add(event)
    await db.flush()


async def page(
    db: AsyncSession, *, limit: int, before: int | None, event: str | None
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if before is not None:
        query = query.where(col(AuditEvent.id) < before)
    if event is not None:
        query = query.where(col(AuditEvent.event) == event)
    return list((await db.exec(query)).all())
