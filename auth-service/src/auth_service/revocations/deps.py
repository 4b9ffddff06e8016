"""The revocation feed's queries: append (serialized by the feed row's lock), read, prune."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.deps import Provider
from auth_service.revocations.service import RevocationLog


class FeedNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def revocation_log(self) -> RevocationLog: ...


provide = Provider[FeedNeeds]()

RevocationLogDep = Annotated[RevocationLog, Depends(provide(lambda r: r.revocation_log))]
