"""Creating keys and keeping the key ring current."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit import service as audit
from auth_service.audit.service import Event
from auth_service.keys import repository
from auth_service.keys.keyring import ACCESS_ALGORITHM, REFRESH_ALGORITHM, KeyRing
from auth_service.keys.models import ACCESS, REFRESH, SigningKey
from auth_service.security.encryption import KeyEncryptor
from auth_service.timeutil import utcnow

logger = logging.getLogger("auth_service.keys")


def new_access_key(encryptor: KeyEncryptor, bits: int, activates_at: datetime) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    kid = secrets.token_urlsafe(12)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return SigningKey(
        kid=kid,
        use=ACCESS,
        algorithm=ACCESS_ALGORITHM,
        public_pem=public_pem.decode(),
        sealed_secret=encryptor.seal(private_pem, kid),
        activates_at=activates_at,
    )


def new_refresh_key(encryptor: KeyEncryptor, activates_at: datetime) -> SigningKey:
    kid = "r-" + secrets.token_urlsafe(9)
    return SigningKey(
        kid=kid,
        use=REFRESH,
        algorithm=REFRESH_ALGORITHM,
        sealed_secret=encryptor.seal(secrets.token_bytes(32), kid),
        activates_at=activates_at,
    )


async def ensure_keys(session: AsyncSession, encryptor: KeyEncryptor, bits: int) -> None:
    """Make the first keys on first start; a no-op afterwards."""
    await repository.lock_key_creation(session)
    now = utcnow()
    rows = await repository.live_keys(session, now)
    if not any(row.use == ACCESS and row.retires_at is None for row in rows):
        # The first key signs at once: no verifier can have cached a JWKS without it.
        await repository.add(session, new_access_key(encryptor, bits, now - timedelta(seconds=1)))
        logger.info("created the first access-token signing key")
    if not any(row.use == REFRESH for row in rows):
        await repository.add(session, new_refresh_key(encryptor, now - timedelta(seconds=1)))


# Verifiers accept a token this long past `exp`; a retired key outlives its tokens by more.
VERIFIER_LEEWAY = timedelta(seconds=60)


async def rotate(
    session: AsyncSession,
    encryptor: KeyEncryptor,
    bits: int,
    *,
    activate_in: float,
    access_token_ttl: int,
    actor: str,
) -> SigningKey:
    """Publish a new access key now; it signs from `activate_in` seconds on.

    Until then the current key keeps signing, so every verifier that refreshes its JWKS
    cache within that time knows the new key before the first token it signed arrives.
    The old key stays published until every token it signed has expired.
    """
    await repository.lock_key_creation(session)
    now = utcnow()
    activates_at = now + timedelta(seconds=activate_in)
    for row in await repository.live_keys(session, now):
        if row.use == ACCESS and (row.retires_at is None or row.retires_at > activates_at):
            row.retires_at = activates_at
            row.expires_at = activates_at + timedelta(seconds=access_token_ttl) + VERIFIER_LEEWAY
            await repository.add(session, row)
    key = new_access_key(encryptor, bits, activates_at)
    await repository.add(session, key)
    logger.info("rotated signing keys: %s signs from %s", key.kid, activates_at.isoformat())
    await audit.record(
        session,
        Event.KEY_ROTATED,
        actor=actor,
        subject=key.kid,
        details={"signs_from": activates_at.isoformat()},
    )
    return key


class _KeyTimes(Protocol):
    @property
    def activates_at(self) -> datetime: ...
    @property
    def retires_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime | None: ...


def status_of(key: _KeyTimes, now: datetime) -> str:
    """`next` (published, not signing yet), `signing`, `retired` (published until its
    tokens expire) or `expired`."""
    if key.expires_at is not None and now >= key.expires_at:
        return "expired"
    if key.retires_at is not None and now >= key.retires_at:
        return "retired"
    if key.activates_at > now:
        return "next"
    return "signing"


class KeyStore:
    """Holds the current key ring; `reload()` picks up keys other replicas made."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], encryptor: KeyEncryptor):
        self._sessions = sessions
        self._encryptor = encryptor
        self._ring: KeyRing | None = None
        self._fingerprint: frozenset[tuple[object, ...]] = frozenset()

    @property
    def ring(self) -> KeyRing:
        assert self._ring is not None, "KeyStore.reload() runs in the lifespan"
        return self._ring

    async def reload(self) -> None:
        async with self._sessions() as session:
            rows = await repository.live_keys(session, utcnow())
        fingerprint = frozenset(
            (row.kid, row.activates_at, row.retires_at, row.expires_at) for row in rows
        )
        if self._ring is not None and fingerprint == self._fingerprint:
            return  # nothing changed: keep the ready key objects
        self._ring = KeyRing(rows, self._encryptor)
        self._fingerprint = fingerprint
