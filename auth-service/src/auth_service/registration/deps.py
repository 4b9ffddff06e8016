"""The registration slice's service, as a dependency (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.deps import Provider
from auth_service.registration.service import Registrations


class RegistrationNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def registrations(self) -> Registrations: ...


provide = Provider[RegistrationNeeds]()

RegistrationsDep = Annotated[Registrations, Depends(provide(lambda r: r.registrations))]
