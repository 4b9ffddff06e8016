"""The `notes` table. The schema itself is owned by the migrations."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Text
from sqlmodel import Field, SQLModel

TITLE_MAX = 200
BODY_MAX = 10_000


class Note(SQLModel, table=True):
    __tablename__ = "notes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The token's `sub`: a user's UUID, or a service client's id.
    owner_sub: str = Field(max_length=255, index=True)
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
