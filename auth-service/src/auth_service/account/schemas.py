from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, model_validator

from auth_service.security.passwords import MAX_LENGTH

# NFKC before the syntax check, as at sign-up: a fullwidth at-sign is its ASCII form.
Email = Annotated[
    EmailStr,
    BeforeValidator(lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v),
    Field(max_length=320),
]
Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
# A link's token: the page sends what it found in the fragment; its shape is checked later,
# with a clear answer, so only the length is bounded here.
LinkToken = Annotated[str, Field(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PasswordChange(_Body):
    current_password: Password
    new_password: Password


class EmailAddress(_Body):
    email: Email


class PasswordReset(_Body):
    token: LinkToken
    new_password: Password


class LinkTokenBody(_Body):
    token: LinkToken


class EmailChange(_Body):
    new_email: Email
    password: Password


# A mailed sign-in code: six digits, read without the spaces a person may type in it.
SignInCode = Annotated[
    str,
    BeforeValidator(lambda v: "".join(v.split()) if isinstance(v, str) else v),
    Field(pattern=r"^[0-9]{6}$", examples=["042917"]),
]


class EmailSignInProof(_Body):
    """The link's `token`, or the `email` and the `code` of the mail."""

    token: LinkToken | None = None
    email: Email | None = None
    code: SignInCode | None = None

    @model_validator(mode="after")
    def _one_proof(self) -> EmailSignInProof:
        by_code = self.email is not None and self.code is not None
        by_token = self.token is not None and self.email is None and self.code is None
        if by_code == by_token:
            raise ValueError("send the link's token, or the email and the code")
        return self


class Accepted(BaseModel):
    """202: the request is taken; what follows comes by mail."""

    status: str = "accepted"
