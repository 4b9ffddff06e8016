"""The auth slice's services, as dependencies (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.auth.second_step import SecondStep
from auth_service.auth.service import AuthService
from auth_service.deps import Provider
from auth_service.http.ratelimit import FailureLimiter


class AuthNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def limiter(self) -> FailureLimiter: ...
    @property
    def auth(self) -> AuthService: ...
    @property
    def second_step(self) -> SecondStep: ...


provide = Provider[AuthNeeds]()

LimiterDep = Annotated[FailureLimiter, Depends(provide(lambda r: r.limiter))]
AuthDep = Annotated[AuthService, Depends(provide(lambda r: r.auth))]
SecondStepDep = Annotated[SecondStep, Depends(provide(lambda r: r.second_step))]
