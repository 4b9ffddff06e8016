"""Encryption at rest of private key material under the key-encryption key (AES-256-GCM)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from auth_service.config import Settings

_NONCE_BYTES = 12


def _aead(passphrase: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"gatehouse-kek-v1", info=b"signing-keys"
    ).derive(passphrase.encode())
    return AESGCM(derived)


def key_binding(kid: str, alg: str, use: str) -> bytes:
    """The associated data of a sealed key: its id, algorithm and use, unambiguously."""
    return (
        b"gatehouse-key-v2"
        + json.dumps(
            {"alg": alg, "kid": kid, "use": use}, sort_keys=True, separators=(",", ":")
        ).encode()
    )


class KeyEncryptor:
    """Seals secrets with a key derived from the key-encryption key.

    The key's `kid`, `alg` and `use` are bound as associated data: a ciphertext moved to
    another row, or a row whose algorithm or use was changed, no longer opens.
    """

    def __init__(self, passphrase: str, previous: str | None = None) -> None:
        self._aead = _aead(passphrase)
        self._previous = _aead(previous) if previous else None

    def seal(self, plaintext: bytes, *, kid: str, alg: str, use: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, key_binding(kid, alg, use))

    def open(self, sealed: bytes, *, kid: str, alg: str, use: str) -> bytes:
        """Raises cryptography's InvalidTag when the seal or its binding does not match."""
        return _open(self._aead, sealed, key_binding(kid, alg, use))

    def open_legacy(self, sealed: bytes, *, kid: str, alg: str, use: str) -> bytes:
        """Opens a seal of before the upgrade: bound to the `kid` alone (seals of before
        migration 0004), or made under AUTH_PREVIOUS_KEY_ENCRYPTION_KEY. Only for re-sealing."""
        attempts = [(self._aead, kid.encode())]
        if self._previous is not None:
            attempts += [
                (self._previous, key_binding(kid, alg, use)),
                (self._previous, kid.encode()),
            ]
        for aead, associated in attempts:
            try:
                return _open(aead, sealed, associated)
            except InvalidTag:
                continue
        raise InvalidTag


def _open(aead: AESGCM, sealed: bytes, associated: bytes) -> bytes:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return aead.decrypt(nonce, ciphertext, associated)


def key_encryptor(settings: Settings) -> KeyEncryptor:
    previous = settings.previous_key_encryption_key
    return KeyEncryptor(
        settings.key_encryption_key.get_secret_value(),
        previous.get_secret_value() if previous else None,
    )
