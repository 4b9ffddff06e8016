"""The revocation feed over HTTP, for resource servers (a service token, `revocations:read`)."""

from __future__ import annotations

from typing import Annotated

from auth_client import Principal
from fastapi import APIRouter, Depends, Query

from auth_service.deps import CurrentPrincipal
from auth_service.errors import AppError, InsufficientScope, problem_responses
from auth_service.revocations.deps import RevocationLogDep
from auth_service.revocations.schemas import RevocationOut, RevocationPage
from auth_service.revocations.service import CursorGone, Page

READ_SCOPE = "revocations:read"
MAX_WAIT = 25.0

router = APIRouter(prefix="/revocations", tags=["revocations"])


class CursorExpired(AppError):
    status_code, code, title = 410, "cursor_expired", "The cursor is older than the feed"


async def feed_reader(principal: CurrentPrincipal, feed: RevocationLogDep) -> Principal:
    """A service client that holds the scope now (checked in PostgreSQL)."""
    if READ_SCOPE not in principal.scopes or principal.sid is not None:
        raise InsufficientScope(READ_SCOPE)
    if not await feed.client_holds_scope(principal.sub, READ_SCOPE):
        raise InsufficientScope(READ_SCOPE)
    return principal


def _page_out(page: Page, retention: float) -> RevocationPage:
    entries = [
        RevocationOut(
            id=e.id,
            kind=e.kind,
            value=e.value,
            not_before=e.not_before,
            expires_at=int(e.created_at.timestamp() + retention),
        )
        for e in page.entries
    ]
    return RevocationPage(cursor=page.cursor, snapshot=page.snapshot, entries=entries)


@router.get(
    "",
    response_model=RevocationPage,
    dependencies=[Depends(feed_reader)],
    responses={
        410: {"description": "The cursor is older than the feed: start over from a snapshot"},
        **problem_responses(401, 403),
    },
)
async def revocations(
    feed: RevocationLogDep,
    after: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="the cursor; none: a snapshot")
    ] = None,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT, description="long-poll seconds")] = MAX_WAIT,
) -> RevocationPage:
    """Without `after`: every live entry and the cursor (a snapshot). With it: what came
    after it, waiting up to `wait` seconds when nothing has yet; 410 when it is too old."""
    retention = feed.retention.total_seconds()
    if after is None:
        return _page_out(await feed.snapshot(), retention)
    try:
        return _page_out(await feed.after(after, wait), retention)
    except CursorGone as exc:
        raise CursorExpired("Start over from a snapshot (GET without `after`)") from exc
