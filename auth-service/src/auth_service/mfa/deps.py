"""The mfa slice's service, as a dependency (built in the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.deps import from_state
from auth_service.mfa.service import MfaService

MfaDep = Annotated[MfaService, Depends(from_state("mfa"))]
