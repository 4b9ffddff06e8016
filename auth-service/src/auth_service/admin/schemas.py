from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auth_service.users.schemas import UserOut


class RolesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[str] = Field(max_length=50)


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
