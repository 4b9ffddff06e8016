from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, model_validator

from auth_service.proofs import exactly_one_of
from auth_service.security.passwords import MAX_LENGTH
from auth_service.users.schemas import UserOut


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


class ReauthProof(BaseModel):
    """`POST /reauth`: exactly one proof: the password, a code of the authenticator app,
    or a passkey's assertion (the JSON form of what `navigator.credentials.get()` gave).
    Recovery codes are not taken here: they are for getting in without the app."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of(password=str, code=str, webauthn=dict)
    )

    password: str | None = Field(default=None, min_length=1, max_length=MAX_LENGTH)
    code: str | None = Field(default=None, min_length=1, max_length=64)
    webauthn: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one_proof(self) -> ReauthProof:
        if sum(proof is not None for proof in (self.password, self.code, self.webauthn)) != 1:
            raise ValueError("send exactly one of: password, code, webauthn")
        return self


class VerificationRequired(BaseModel):
    verification_required: Literal[True] = True


class Profile(UserOut):
    """`GET /me`: the account, and whether log-in asks it for a second factor."""

    mfa_enabled: bool = False
