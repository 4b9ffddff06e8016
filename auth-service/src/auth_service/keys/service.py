"""Creating keys and keeping the key ring current."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit import service as audit
from auth_service.audit.service import Event
from auth_service.errors import NotFound
from auth_service.keys import repository
from auth_service.keys.keyring import ACCESS_ALGORITHM, REFRESH_ALGORITHM, KeyRing
from auth_service.keys.models import ACCESS, REFRESH, SigningKey
from auth_service.security.encryption import KeyEncryptor
from auth_service.timeutil import Clock

logger = logging.getLogger("auth_service.keys")


def new_key_id(use: str) -> str:
    """`a-…` for access-token keys, `r-…` for refresh-token keys: random, and never starting
    with `-` (a bare random id did 1 time in 64, and `auth-service keys revoke -x…` then
    reads it as an option)."""
    return f"{use[0]}-{secrets.token_urlsafe(12 if use == ACCESS else 9)}"


def new_access_key(encryptor: KeyEncryptor, bits: int, activates_at: datetime) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    kid = new_key_id(ACCESS)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningKey(
        kid=kid,
        use=ACCESS,
        algorithm=ACCESS_ALGORITHM,
        sealed_secret=encryptor.seal(private_pem, kid=kid, alg=ACCESS_ALGORITHM, use=ACCESS),
        activates_at=activates_at,
    )


def new_refresh_key(encryptor: KeyEncryptor, activates_at: datetime) -> SigningKey:
    kid = new_key_id(REFRESH)
    secret = secrets.token_bytes(32)
    return SigningKey(
        kid=kid,
        use=REFRESH,
        algorithm=REFRESH_ALGORITHM,
        sealed_secret=encryptor.seal(secret, kid=kid, alg=REFRESH_ALGORITHM, use=REFRESH),
        activates_at=activates_at,
    )


class KeysUnreadable(RuntimeError):
    """Not one stored key opens: almost surely the wrong AUTH_KEY_ENCRYPTION_KEY."""


async def _reseal_legacy(db: AsyncSession, encryptor: KeyEncryptor, row: SigningKey) -> None:
    """Upgrade path for seals of before migration 0004 (bound to the kid only) or under
    AUTH_PREVIOUS_KEY_ENCRYPTION_KEY: re-sealed once, at start-up, under the lock."""
    binding = {"kid": row.kid, "alg": row.algorithm, "use": row.use}
    try:
        encryptor.open(row.sealed_secret, **binding)
        return  # already current
    except InvalidTag:
        pass
    try:
        plaintext = encryptor.open_legacy(row.sealed_secret, **binding)
    except InvalidTag:
        return  # refused (and logged) when the key ring is built
    row.sealed_secret = encryptor.seal(plaintext, **binding)
    await repository.add(db, row)
    logger.warning("re-sealed signing key kid=%s with its kid, alg and use bound", row.kid)


async def ensure_keys(db: AsyncSession, encryptor: KeyEncryptor, bits: int, now: datetime) -> None:
    """Re-seal keys of an older format; make the first keys on first start (and again when
    no stored key can be used). Keys that do not open are refused, never published."""
    await repository.lock_key_creation(db)
    rows = await repository.live_keys(db, now)
    for row in rows:
        await _reseal_legacy(db, encryptor, row)
    ring = KeyRing(rows, encryptor)
    if rows and len(ring.refused) == len(rows):
        raise KeysUnreadable(
            f"AUTH_KEY_ENCRYPTION_KEY opens none of the {len(rows)} stored signing keys: "
            "is it the key they were sealed with? (after a change, set the old one as "
            "AUTH_PREVIOUS_KEY_ENCRYPTION_KEY)"
        )
    if not any(key.retires_at is None for key in ring.access.values()):
        # The first key signs at once: no verifier can have cached a JWKS without it.
        await repository.add(db, new_access_key(encryptor, bits, now - timedelta(seconds=1)))
        logger.info("created an access-token signing key")
    if not ring.refresh:
        await repository.add(db, new_refresh_key(encryptor, now - timedelta(seconds=1)))


# Verifiers accept a token this long past `exp`; a retired key outlives its tokens by more.
VERIFIER_LEEWAY = timedelta(seconds=60)


async def rotate(
    db: AsyncSession,
    encryptor: KeyEncryptor,
    bits: int,
    *,
    activate_in: float,
    access_token_ttl: int,
    actor: str,
    now: datetime,
) -> SigningKey:
    """Publish a new access key now; it signs from `activate_in` seconds on.

    Until then the current key keeps signing, so every verifier that refreshes its JWKS
    cache within that time knows the new key before the first token it signed arrives.
    The old key stays published until every token it signed has expired.
    """
    await repository.lock_key_creation(db)
    activates_at = now + timedelta(seconds=activate_in)
    for row in await repository.live_keys(db, now):
        if row.use == ACCESS and (row.retires_at is None or row.retires_at > activates_at):
            row.retires_at = activates_at
            row.expires_at = activates_at + timedelta(seconds=access_token_ttl) + VERIFIER_LEEWAY
            await repository.add(db, row)
    key = new_access_key(encryptor, bits, activates_at)
    await repository.add(db, key)
    logger.info("rotated signing keys: %s signs from %s", key.kid, activates_at.isoformat())
    await audit.record(
        db,
        Event.KEY_ROTATED,
        actor=actor,
        subject=key.kid,
        details={"signs_from": activates_at.isoformat()},
    )
    return key


async def revoke(
    db: AsyncSession,
    encryptor: KeyEncryptor,
    bits: int,
    kid: str,
    *,
    actor: str,
    now: datetime,
) -> SigningKey | None:
    """A compromised key leaves the JWKS now and signs no more; its tokens stop verifying.

    When nothing else signs in its place, a new key signs at once (no publish-ahead: the
    old key must not sign for another minute). Returns that new key, if one was made.
    Other replicas follow at their next key reload (AUTH_KEY_RELOAD_INTERVAL).
    """
    await repository.lock_key_creation(db)
    row = await repository.get(db, kid)
    if row is None or row.revoked_at is not None or status_of(row, now) == "expired":
        raise NotFound("No such live key")
    row.revoked_at = row.expires_at = now
    if row.retires_at is None or row.retires_at > now:
        row.retires_at = now
    await repository.add(db, row)
    others = [r for r in await repository.live_keys(db, now) if r.use == row.use]
    replacement = None
    if not any(status_of(r, now) == "signing" for r in others):
        activates_at = now - timedelta(seconds=1)
        replacement = (
            new_access_key(encryptor, bits, activates_at)
            if row.use == ACCESS
            else new_refresh_key(encryptor, activates_at)
        )
        await repository.add(db, replacement)
    logger.warning("revoked signing key kid=%s by %s", kid, actor)
    await audit.record(
        db,
        Event.KEY_REVOKED,
        actor=actor,
        subject=kid,
        details={"use": row.use, "replacement": replacement.kid if replacement else None},
    )
    return replacement


class _KeyTimes(Protocol):
    @property
    def activates_at(self) -> datetime: ...
    @property
    def retires_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime | None: ...


def status_of(key: _KeyTimes, now: datetime) -> str:
    """`next` (published, not signing yet), `signing`, `retired` (published until its
    tokens expire) or `expired` (revoked keys included)."""
    if key.expires_at is not None and now >= key.expires_at:
        return "expired"
    if key.retires_at is not None and now >= key.retires_at:
        return "retired"
    if key.activates_at > now:
        return "next"
    return "signing"


class KeyStore:
    """Holds the current key ring; `reload()` picks up keys other replicas made."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        encryptor: KeyEncryptor,
        clock: Clock,
    ) -> None:
        self._sessionmaker, self.clock = sessionmaker, clock
        self._encryptor = encryptor
        self._ring: KeyRing | None = None
        self._fingerprint: frozenset[tuple[object, ...]] = frozenset()

    @property
    def ring(self) -> KeyRing:
        assert self._ring is not None, "KeyStore.reload() runs in the lifespan"
        return self._ring

    async def reload(self) -> None:
        async with self._sessionmaker() as db:
            rows = await repository.live_keys(db, self.clock.now())
        # Everything a key is built from: a row changed in place is re-checked (and refused).
        fingerprint = frozenset(
            (
                row.kid,
                row.use,
                row.algorithm,
                bytes(row.sealed_secret),
                row.activates_at,
                row.retires_at,
                row.expires_at,
            )
            for row in rows
        )
        if self._ring is not None and fingerprint == self._fingerprint:
            return  # nothing changed: keep the ready key objects
        self._ring = KeyRing(rows, self._encryptor)
        self._fingerprint = fingerprint
