"""Encryption at rest under the key-encryption key (AES-256-GCM): private key material
(`KeyEncryptor`) and users' secrets (`UserSecrets`: TOTP seeds, recovery-code digests)."""

from __future__ import annotations

import hmac
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


def _derived(passphrase: str, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"gatehouse-kek-v1", info=purpose
    ).derive(passphrase.encode())


def _aead(passphrase: str, purpose: bytes = b"signing-keys") -> AESGCM:
    return AESGCM(_derived(passphrase, purpose))


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


class UserSecrets:
    """Users' secrets under keys of their own derived from the key-encryption key.

    `seal`/`open`: a TOTP seed, bound to what it belongs to (its row moved to another user
    no longer opens); `reseal` moves one made under the previous key to the current one.
    `digests`: keyed hashes (HMAC-SHA256) of recovery codes made before their key came
    from the user's own seed (see mfa/recovery.py). After a change of the key-encryption
    key, what the previous one made still opens and still matches.
    """

    def __init__(self, passphrase: str, previous: str | None = None) -> None:
        passphrases = [passphrase, *([previous] if previous else [])]
        self._aeads = [_aead(p, b"user-secrets") for p in passphrases]
        self._mac_keys = [_derived(p, b"recovery-codes") for p in passphrases]

    def seal(self, plaintext: bytes, binding: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aeads[0].encrypt(nonce, plaintext, binding)

    def open(self, sealed: bytes, binding: bytes) -> bytes:
        """Raises cryptography's InvalidTag when no key opens it."""
        for aead in self._aeads:
            try:
                return _open(aead, sealed, binding)
            except InvalidTag:
                continue
        raise InvalidTag

    @property
    def has_previous(self) -> bool:
        return len(self._aeads) > 1

    def reseal(self, sealed: bytes, binding: bytes) -> bytes | None:
        """The secret sealed under the current key when only the previous one opens it;
        None when the current key opens it already, or no key does."""
        try:
            _open(self._aeads[0], sealed, binding)
            return None
        except InvalidTag:
            pass
        try:
            plaintext = self.open(sealed, binding)
        except InvalidTag:
            return None
        return self.seal(plaintext, binding)

    def digests(self, message: bytes) -> list[str]:
        """The message's digest under the current key first, then under the previous one."""
        return [hmac.new(key, message, "sha256").hexdigest() for key in self._mac_keys]


def user_secrets(settings: Settings) -> UserSecrets:
    previous = settings.previous_key_encryption_key
    return UserSecrets(
        settings.key_encryption_key.get_secret_value(),
        previous.get_secret_value() if previous else None,
    )


def key_encryptor(settings: Settings) -> KeyEncryptor:
    previous = settings.previous_key_encryption_key
    return KeyEncryptor(
        settings.key_encryption_key.get_secret_value(),
        previous.get_secret_value() if previous else None,
    )
