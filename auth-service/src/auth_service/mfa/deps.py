"""The mfa slice's service, as a dependency (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.deps import Provider
from auth_service.mfa.service import MfaService


class MfaNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def mfa(self) -> MfaService: ...


provide = Provider[MfaNeeds]()

MfaDep = Annotated[MfaService, Depends(provide(lambda r: r.mfa))]
