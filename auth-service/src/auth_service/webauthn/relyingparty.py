"""This relying party's WebAuthn ceremonies, on py_webauthn: the options a browser gets,
and the checks of what it sends back (origin, RP id hash, challenge, user verification,
signature). The rules around them (challenges, counters, users) are in service.py.

This is the only module that uses py_webauthn, and it imports it on the first ceremony:
the library imports pyOpenSSL and pyasn1 for attestation certificate chains (8 MiB of
every replica's memory, 0.2 s of its start), which this relying party never checks (it
asks for attestation "none"). A service that never sees a passkey never loads them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the library is loaded on the first ceremony, not with the app
    from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
    from webauthn.helpers.structs import AuthenticationCredential, RegistrationCredential
    from webauthn.registration.verify_registration_response import VerifiedRegistration

RP_NAME = "Gatehouse"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Malformed(ValueError):
    """What the browser sent is not a WebAuthn response at all."""


class Rejected(Exception):
    """A well-formed response that fails a check (origin, RP id, challenge, user
    verification, signature, attestation); the message says which."""


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
        from webauthn import generate_registration_options
        from webauthn.helpers import options_to_json_dict
        from webauthn.helpers.structs import (
            AuthenticatorSelectionCriteria,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

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
        from webauthn import generate_authentication_options
        from webauthn.helpers import options_to_json_dict
        from webauthn.helpers.structs import UserVerificationRequirement

        options = generate_authentication_options(
            rp_id=self.id,
            challenge=challenge,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return options_to_json_dict(options)

    def verify_registration(
        self, credential: RegistrationCredential, challenge: bytes
    ) -> VerifiedRegistration:
        """Raises Rejected."""
        from webauthn import verify_registration_response

        try:
            return verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.id,
                expected_origin=self.origin,
                require_user_verification=True,
            )
        # The check is pure computation on what the browser sent: whatever it raises is
        # about that input (the library lets struct, CBOR and key errors through).
        except Exception as exc:
            raise Rejected(_reason(exc)) from exc

    def verify_assertion(
        self, credential: AuthenticationCredential, challenge: bytes, public_key: bytes
    ) -> VerifiedAuthentication:
        """Raises Rejected. The counter is left to the caller (0 here turns the library's
        check off), so that a clone is told apart from a forgery: the counter is judged
        only once the signature is known to be the credential's."""
        from webauthn import verify_authentication_response

        try:
            return verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.id,
                expected_origin=self.origin,
                credential_public_key=public_key,
                credential_current_sign_count=0,
                require_user_verification=True,
            )
        except Exception as exc:
            raise Rejected(_reason(exc)) from exc


def _descriptor(credential_id: bytes, transports: list[str]) -> Any:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    known = {t.value for t in AuthenticatorTransport}
    return PublicKeyCredentialDescriptor(
        id=credential_id,
        transports=[AuthenticatorTransport(t) for t in transports if t in known],
    )


def _reason(exc: Exception) -> str:
    from webauthn.helpers.exceptions import WebAuthnException

    return str(exc) if isinstance(exc, WebAuthnException) else "the answer does not parse"


def parse_registration(credential: dict[str, Any]) -> tuple[RegistrationCredential, bytes]:
    """The parsed credential and the challenge its clientDataJSON carries. Only attestation
    "none" is taken (what the options ask for): any other statement is refused unread."""
    from webauthn.helpers import parse_attestation_object, parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException
    from webauthn.helpers.structs import AttestationFormat

    try:
        parsed = parse_registration_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise Malformed("not a WebAuthn registration response") from exc
    try:
        fmt = parse_attestation_object(parsed.response.attestation_object).fmt
    except Exception as exc:
        raise Malformed(
            'attestationObject is not an attestation of format "none", the only one taken'
        ) from exc
    if fmt != AttestationFormat.NONE:
        raise Malformed(f'attestation "{fmt}" is not accepted here, only "none"')
    return parsed, _challenge_of(parsed.response.client_data_json)


def parse_assertion(credential: dict[str, Any]) -> tuple[AuthenticationCredential, bytes]:
    from webauthn.helpers import parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise Malformed("not a WebAuthn assertion") from exc
    return parsed, _challenge_of(parsed.response.client_data_json)


def _challenge_of(client_data_json: bytes) -> bytes:
    from webauthn.helpers import parse_client_data_json
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        return parse_client_data_json(client_data_json).challenge
    except (WebAuthnException, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise Malformed("clientDataJSON is not valid") from exc


def framed_by_another_site(client_data_json: bytes) -> bool:
    """`crossOrigin: true`: the ceremony ran in a frame of another site's page. The web app
    is never framed (its pages forbid it), so such an answer is not from it."""
    from webauthn.helpers import parse_client_data_json

    return parse_client_data_json(client_data_json).cross_origin is True
