"""Encryption at rest of private key material under the key-encryption key (AES-256-GCM)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


class KeyEncryptor:
    """Seals secrets with a key derived from the configured passphrase.

    The row's id is bound as associated data, so a ciphertext moved to another row fails.
    """

    def __init__(self, passphrase: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"gatehouse-kek-v1", info=b"signing-keys"
        ).derive(passphrase.encode())
        self._aead = AESGCM(derived)

    def seal(self, plaintext: bytes, associated: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, associated.encode())

    def open(self, sealed: bytes, associated: str) -> bytes:
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, associated.encode())
