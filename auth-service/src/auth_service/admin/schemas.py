from __future__ import annotations

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
