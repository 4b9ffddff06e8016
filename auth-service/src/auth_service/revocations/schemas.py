from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RevocationOut(BaseModel):
    id: int
    kind: Literal["session", "subject", "client", "token"]
    value: str = Field(description="a session id, a user id, a client id or a token's jti")
    not_before: int | None = Field(
        None, description="subject: tokens with an `iat` before this (epoch seconds) are refused"
    )
    expires_at: int = Field(description="epoch seconds: every token it denies has expired then")


class RevocationPage(BaseModel):
    cursor: int = Field(description="pass as `after` to get what comes next")
    snapshot: bool = Field(description="true: these are ALL live entries (replace what you had)")
    entries: list[RevocationOut]
