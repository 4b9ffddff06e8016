"""Request and response bodies of second factors."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from auth_service.proofs import exactly_one_of

# Generous bounds: a TOTP code is 6 digits, a recovery code 11 characters; people add spaces.
_CODE = Field(min_length=1, max_length=64)


class CodeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = _CODE


class TotpEnrolment(BaseModel):
    secret: str = Field(description="base32, for manual entry in the app")
    otpauth_uri: str
    qr_svg: str = Field(description="the otpauth URI as a QR code (an SVG document)")


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="shown once: only their hashes are kept")


class SecondFactor(BaseModel):
    """One proof of a second factor; exactly one of its fields. A further kind of proof
    is one more optional field here and one more branch in `MfaService.verify`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=exactly_one_of(code=str, recovery_code=str, webauthn=dict),
    )

    code: str | None = Field(default=None, min_length=1, max_length=64)
    recovery_code: str | None = Field(default=None, min_length=1, max_length=64)
    webauthn: dict[str, Any] | None = Field(
        default=None,
        min_length=1,
        description="a passkey's assertion: the JSON form of what `navigator.credentials"
        ".get()` gave, for a challenge of `POST /webauthn/login/options`",
    )

    @model_validator(mode="after")
    def _exactly_one_proof(self) -> SecondFactor:
        given = [name for name, value in self if value is not None and name != "mfa_token"]
        if len(given) != 1:
            raise ValueError("send exactly one of: code, recovery_code, webauthn")
        return self


class MfaLogIn(SecondFactor):
    """`POST /login/mfa`: the log-in's `mfa_token` and one proof."""

    mfa_token: str = Field(min_length=1, max_length=128)


class MfaRequired(BaseModel):
    """The answer of `POST /login` when the account has a second factor: no token yet."""

    mfa_required: Literal[True] = True
    mfa_token: str = Field(description="opaque, single use, 5 minutes; for POST /login/mfa")
    methods: list[str]
