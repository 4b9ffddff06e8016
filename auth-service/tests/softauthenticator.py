"""A software WebAuthn authenticator for the tests: an ES256 key per credential, answers
in the JSON form a browser gives (attestation "none"), with every field a test may spoil."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://localhost:8080"  # the tests' AUTH_PUBLIC_URL (the issuer's origin)
UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    counter: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


def _client_data(kind: str, challenge: str, origin: str, cross_origin: bool = False) -> bytes:
    data = {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": cross_origin}
    return json.dumps(data).encode()


def _auth_data(rp_id: str, flags: int, counter: int, attested: bytes = b"") -> bytes:
    rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
    return rp_id_hash + bytes([flags]) + struct.pack(">I", counter) + attested


@dataclass
class SoftAuthenticator:
    """Holds its credentials (discoverable: each knows its RP id and user handle)."""

    credentials: list[SoftCredential] = field(default_factory=list)

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        verified: bool = True,
        counter: int = 0,
        again: SoftCredential | None = None,
        statement: tuple[str, dict[str, Any]] = ("none", {}),
        cross_origin: bool = False,
    ) -> dict[str, Any]:
        """What navigator.credentials.create() gives for these creation options (`again`:
        an authenticator that ignores excludeCredentials and offers that credential;
        `statement`: the attestation's fmt and attStmt; `cross_origin`: as if the page had
        been framed by another site)."""
        credential = again or SoftCredential(
            credential_id=secrets.token_bytes(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id or options["rp"]["id"],
            user_handle=unb64url(options["user"]["id"]),
            counter=counter,
        )
        cid = credential.credential_id
        attested = bytes(16) + struct.pack(">H", len(cid)) + cid + credential.cose_public_key()
        flags = UP | AT | (UV if verified else 0)
        auth_data = _auth_data(credential.rp_id, flags, counter, attested)
        fmt, att_stmt = statement
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": att_stmt, "authData": auth_data})
        if again is None:
            self.credentials.append(credential)
        return {
            "id": b64url(cid),
            "rawId": b64url(cid),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(
                    _client_data("webauthn.create", options["challenge"], origin, cross_origin)
                ),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: SoftCredential | None = None,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        verified: bool = True,
        counter: int | None = None,
        kind: str = "webauthn.get",
        cross_origin: bool = False,
    ) -> dict[str, Any]:
        """What navigator.credentials.get() gives: by default with the newest credential,
        its counter one higher than last time."""
        credential = credential or self.credentials[-1]
        if counter is None:
            credential.counter += 1
            counter = credential.counter
        flags = UP | (UV if verified else 0)
        auth_data = _auth_data(rp_id or credential.rp_id, flags, counter)
        client_data = _client_data(kind, options["challenge"], origin, cross_origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = credential.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
