"""Request and response bodies of the notes API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from resource_service.notes.models import BODY_MAX, TITLE_MAX

# PostgreSQL text cannot hold NUL: refused here, as a 422, rather than failing at INSERT.
NO_NUL = r"^[^\x00]*$"
# A title has something besides spaces (it is trimmed), so the schema says so too.
TITLE_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=TITLE_MAX, pattern=TITLE_PATTERN
    ),
]
Body = Annotated[str, Field(max_length=BODY_MAX, pattern=NO_NUL)]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = ""


class NoteUpdate(BaseModel):
    """Only the fields sent change; `null` is not a value for either."""

    model_config = ConfigDict(extra="forbid")

    title: SkipJsonSchema[Title | None] = None
    body: SkipJsonSchema[Body | None] = None

    @model_validator(mode="after")
    def _no_explicit_null(self) -> Self:
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"'{name}' may be left out but not set to null")
        return self


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
