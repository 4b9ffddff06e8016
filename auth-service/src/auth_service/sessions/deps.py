"""The sessions slice's services, as dependencies (built in the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.deps import from_state
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.service import SessionsService

SessionsDep = Annotated[SessionsService, Depends(from_state("sessions"))]
LedgerDep = Annotated[RotationLedger, Depends(from_state("ledger"))]
