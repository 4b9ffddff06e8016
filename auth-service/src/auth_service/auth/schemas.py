from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field

from auth_service.security.passwords import MAX_LENGTH


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    # NFKC before the syntax check: a fullwidth at-sign or letter is its ASCII form.
    email: Annotated[
        EmailStr,
        BeforeValidator(lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v),
    ] = Field(max_length=320)
    # The policy (length, common passwords) is checked at sign-up only, with a clear message;
    # the upper bound here keeps anyone from making us hash megabytes.
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a type name, not a secret)
    expires_in: int


class PasswordProof(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class VerificationRequired(BaseModel):
    verification_required: Literal[True] = True
