"""The sessions slice's services, as dependencies (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.deps import Provider
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.service import SessionsService


class SessionsNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def sessions(self) -> SessionsService: ...
    @property
    def ledger(self) -> RotationLedger: ...


provide = Provider[SessionsNeeds]()

SessionsDep = Annotated[SessionsService, Depends(provide(lambda r: r.sessions))]
LedgerDep = Annotated[RotationLedger, Depends(provide(lambda r: r.ledger))]
