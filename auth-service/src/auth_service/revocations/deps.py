from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.deps import from_state
from auth_service.revocations.service import RevocationFeed

FeedDep = Annotated[RevocationFeed, Depends(from_state("revocation_feed"))]
