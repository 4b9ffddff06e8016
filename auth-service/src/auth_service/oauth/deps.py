"""The oauth slice's service, as a dependency (built in the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.deps import from_state
from auth_service.oauth.service import OAuthService

OAuthDep = Annotated[OAuthService, Depends(from_state("oauth"))]
