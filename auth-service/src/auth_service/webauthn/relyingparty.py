"""This relying party's WebAuthn ceremonies, on py_webauthn: the options a browser gets,
and the checks of what it sends back (origin, RP id hash, challenge, user verification,
signature). The rules around them (challenges, counters, users) are in service.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import (
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

RP_NAME = "Gatehouse"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Malformed(ValueError):
    """What the browser sent is not a WebAuthn response at all."""


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the host of AUTH_PUBLIC_URL
    origin: str  # its origin: the only one whose responses are accepted

    @classmethod
    def of(cls, public_url: str) -> RelyingParty:
        parts = urlsplit(public_url)
        host = parts.hostname or "localhost"
        port = (
            f":{parts.port}"
            if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme)
            else ""
        )
        return cls(id=host, origin=f"{parts.scheme}://{host}{port}")

    def creation_options(
        self,
        challenge: bytes,
        user_handle: bytes,
        user_name: str,
        exclude: list[tuple[bytes, list[str]]],
    ) -> dict[str, Any]:
        options = generate_registration_options(
            rp_id=self.id,
            rp_name=RP_NAME,
            user_id=user_handle,
            user_name=user_name,
            challenge=challenge,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                require_resident_key=True,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(cid, transports) for cid, transports in exclude],
        )
        return options_to_json_dict(options)

    def request_options(self, challenge: bytes) -> dict[str, Any]:
        options = generate_authentication_options(
            rp_id=self.id,
            challenge=challenge,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return options_to_json_dict(options)

    def verify_registration(
        self, credential: RegistrationCredential, challenge: bytes
    ) -> VerifiedRegistration:
        return verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=self.id,
            expected_origin=self.origin,
            require_user_verification=True,
        )

    def verify_assertion(
        self, credential: AuthenticationCredential, challenge: bytes, public_key: bytes
    ) -> VerifiedAuthentication:
        """Raises WebAuthnException. The counter is left to the caller (0 here turns the
        library's check off), so that a clone is told apart from a forgery: the counter is
        judged only once the signature is known to be the credential's."""
        return verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=self.id,
            expected_origin=self.origin,
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )


def _descriptor(credential_id: bytes, transports: list[str]) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    return PublicKeyCredentialDescriptor(
        id=credential_id,
        transports=[AuthenticatorTransport(t) for t in transports if t in known],
    )


def parse_registration(credential: dict[str, Any]) -> tuple[RegistrationCredential, bytes]:
    """The parsed credential and the challenge its clientDataJSON carries."""
    try:
        parsed = parse_registration_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise Malformed("not a WebAuthn registration response") from exc
    return parsed, _challenge_of(parsed.response.client_data_json)


def parse_assertion(credential: dict[str, Any]) -> tuple[AuthenticationCredential, bytes]:
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise Malformed("not a WebAuthn assertion") from exc
    return parsed, _challenge_of(parsed.response.client_data_json)


def _challenge_of(client_data_json: bytes) -> bytes:
    try:
        return parse_client_data_json(client_data_json).challenge
    except (WebAuthnException, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise Malformed("clientDataJSON is not valid") from exc
