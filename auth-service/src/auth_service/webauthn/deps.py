"""The passkey slice's services, as dependencies (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.deps import Provider
from auth_service.webauthn.enrolment import PasskeyEnrolment
from auth_service.webauthn.service import PasskeyService


class PasskeyNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def passkeys(self) -> PasskeyService: ...
    @property
    def passkey_enrolment(self) -> PasskeyEnrolment: ...


provide = Provider[PasskeyNeeds]()

PasskeysDep = Annotated[PasskeyService, Depends(provide(lambda r: r.passkeys))]
EnrolmentDep = Annotated[PasskeyEnrolment, Depends(provide(lambda r: r.passkey_enrolment))]
