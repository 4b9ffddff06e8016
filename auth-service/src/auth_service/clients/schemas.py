from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# RFC 6749 §3.3 scope-token; names must be storable (PostgreSQL text holds no NUL).
ScopeToken = Annotated[str, StringConstraints(pattern=r"^[\x21\x23-\x5B\x5D-\x7E]{1,64}$")]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    scopes: list[ScopeToken] = Field(default_factory=list, max_length=50)


class ClientOut(BaseModel):
    client_id: str
    name: str
    scopes: list[str]
    created_at: datetime


class ClientCreated(ClientOut):
    client_secret: str = Field(description="Shown once: only a hash of it is stored")
