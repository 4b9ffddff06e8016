"""Keys as ready objects, built once per load: parsing a PEM per token costs ~100x the signing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auth_client.jws import b64url_encode
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jose import jwk
from jose.backends.base import Key

from auth_service.keys.models import ACCESS, REFRESH, SigningKey
from auth_service.security.encryption import KeyEncryptor

ACCESS_ALGORITHM = "RS256"
REFRESH_ALGORITHM = "HS256"
MIN_RSA_BITS = 2048
MIN_REFRESH_SECRET_BYTES = 32

logger = logging.getLogger("auth_service.keys")


class KeyRefused(Exception):
    """A stored key that does not open under its binding, or is not what its row says."""


def _b64url_uint(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class AccessKey:
    kid: str
    signer: Key | None  # None once the private part is no longer needed
    verifier: Key
    public_jwk: dict[str, Any]
    created_at: datetime
    activates_at: datetime
    retires_at: datetime | None
    expires_at: datetime | None

    def signs_at(self, now: datetime) -> bool:
        retired = self.retires_at is not None and now >= self.retires_at
        return self.signer is not None and self.activates_at <= now and not retired

    def published_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class RefreshKey:
    kid: str
    key: Key
    activates_at: datetime
    expires_at: datetime | None


def _open(row: SigningKey, encryptor: KeyEncryptor) -> bytes:
    try:
        return encryptor.open(row.sealed_secret, kid=row.kid, alg=row.algorithm, use=row.use)
    except InvalidTag as exc:
        raise KeyRefused("its seal does not open under its kid, alg and use") from exc


def _build_access_key(row: SigningKey, encryptor: KeyEncryptor) -> AccessKey:
    if row.algorithm != ACCESS_ALGORITHM:
        raise KeyRefused(f"an access key must be {ACCESS_ALGORITHM}")
    try:
        private = load_pem_private_key(_open(row, encryptor), password=None)
    except ValueError as exc:
        raise KeyRefused("its secret is not a private key") from exc
    if not isinstance(private, rsa.RSAPrivateKey) or private.key_size < MIN_RSA_BITS:
        raise KeyRefused(f"it is not an RSA key of at least {MIN_RSA_BITS} bits")
    # The public key comes from the private key it belongs to, never from a column.
    public = private.public_key()
    numbers = public.public_numbers()
    return AccessKey(
        kid=row.kid,
        # python-jose takes cryptography key objects as they are (its stubs say otherwise).
        signer=jwk.construct(private, ACCESS_ALGORITHM),  # type: ignore[arg-type]
        verifier=jwk.construct(public, ACCESS_ALGORITHM),  # type: ignore[arg-type]
        public_jwk={
            "kty": "RSA",
            "use": "sig",
            "alg": ACCESS_ALGORITHM,
            "kid": row.kid,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
        },
        created_at=row.created_at,
        activates_at=row.activates_at,
        retires_at=row.retires_at,
        expires_at=row.expires_at,
    )


def _build_refresh_key(row: SigningKey, encryptor: KeyEncryptor) -> RefreshKey:
    if row.algorithm != REFRESH_ALGORITHM:
        raise KeyRefused(f"a refresh key must be {REFRESH_ALGORITHM}")
    secret = _open(row, encryptor)
    if len(secret) < MIN_REFRESH_SECRET_BYTES:
        raise KeyRefused("its secret is too short")
    return RefreshKey(
        row.kid, jwk.construct(secret, REFRESH_ALGORITHM), row.activates_at, row.expires_at
    )


class NoSigningKey(RuntimeError):
    pass


class KeyRing:
    """An immutable snapshot of the keys; the key store swaps in a new one on reload."""

    def __init__(self, rows: list[SigningKey], encryptor: KeyEncryptor) -> None:
        self.access: dict[str, AccessKey] = {}
        self.refresh: dict[str, RefreshKey] = {}
        self.refused: list[str] = []  # kids of rows that were not loaded
        for row in rows:
            try:
                if row.use == ACCESS:
                    self.access[row.kid] = _build_access_key(row, encryptor)
                elif row.use == REFRESH:
                    self.refresh[row.kid] = _build_refresh_key(row, encryptor)
                else:
                    raise KeyRefused(f"unknown use {row.use!r}")
            except KeyRefused as exc:
                # Never published, never used: a changed row is an attack or a corruption.
                logger.error("refused signing key kid=%s use=%s: %s", row.kid, row.use, exc)
                self.refused.append(row.kid)

    def access_signer(self, now: datetime) -> AccessKey:
        active = [key for key in self.access.values() if key.signs_at(now)]
        if not active:
            raise NoSigningKey("no access-token signing key is active")
        return max(active, key=lambda key: key.activates_at)

    def refresh_signer(self, now: datetime) -> RefreshKey:
        active = [key for key in self.refresh.values() if key.activates_at <= now]
        if not active:
            raise NoSigningKey("no refresh-token key is active")
        return max(active, key=lambda key: key.activates_at)

    def published(self, now: datetime) -> list[AccessKey]:
        return sorted(
            (key for key in self.access.values() if key.published_at(now)),
            key=lambda key: key.activates_at,
            reverse=True,
        )

    def jwks(self, now: datetime) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.published(now)]}
