from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from auth_service.registration.tokens import DEFAULT_TTL, MAX_COUNT, MAX_TTL
from auth_service.users.schemas import UserOut


class RolesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_:.-]{0,63}$")]] = Field(
        max_length=50
    )


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    event: str
    actor: str | None
    subject: str | None
    session_id: str | None
    ip_address: str | None
    request_id: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_before: int | None


class RegistrationTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in: int = Field(default=DEFAULT_TTL, ge=60, le=MAX_TTL, description="seconds")
    count: int = Field(default=1, ge=1, le=MAX_COUNT, description="clients it may register")


class RegistrationTokenCreated(BaseModel):
    token: str = Field(description="Shown once: only a hash of it is stored")
    expires_at: datetime
    count: int
