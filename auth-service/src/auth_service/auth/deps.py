"""The auth slice's services, as dependencies (built in the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.auth.ratelimit import FailureLimiter
from auth_service.auth.second_step import SecondStep
from auth_service.auth.service import AuthService
from auth_service.deps import from_state

LimiterDep = Annotated[FailureLimiter, Depends(from_state("limiter"))]
AuthDep = Annotated[AuthService, Depends(from_state("auth"))]
SecondStepDep = Annotated[SecondStep, Depends(from_state("second_step"))]
