"""The passkey slice's services, as dependencies (built in the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.deps import from_state
from auth_service.webauthn.enrolment import PasskeyEnrolment
from auth_service.webauthn.service import PasskeyService

PasskeysDep = Annotated[PasskeyService, Depends(from_state("passkeys"))]
EnrolmentDep = Annotated[PasskeyEnrolment, Depends(from_state("passkey_enrolment"))]
