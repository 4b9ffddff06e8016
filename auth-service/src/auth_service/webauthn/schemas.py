from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

PasskeyName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


class NewPasskey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PasskeyName


class Registration(BaseModel):
    """What `navigator.credentials.create()` gave (its JSON form), and the passkey's name
    (else the one given with the options)."""

    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any]
    name: PasskeyName | None = None


class Assertion(BaseModel):
    """What `navigator.credentials.get()` gave, in its JSON form."""

    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any]


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PasskeyName


class PasskeyOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool
