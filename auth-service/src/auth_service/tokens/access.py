"""Access tokens: RS256 JWTs after RFC 9068 (`typ: at+jwt`).

Issued here with python-jose; verified with auth-client's `TokenVerifier` over the key ring
(`RingKeys`), so the auth service and every resource server apply the very same rules.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Protocol

from auth_client.jwks import VerificationKey
from auth_client.verifier import TokenVerifier
from jose import jwt

from auth_service.keys.keyring import ACCESS_ALGORITHM, KeyRing
from auth_service.timeutil import Clock

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 (a type name, not a secret)
LEEWAY_SECONDS = 30


def issue(
    ring: KeyRing,
    *,
    issuer: str,
    audience: str,
    ttl: int,
    now: datetime,
    sub: str,
    scope: str,
    client_id: str,
    sid: str | None = None,
    email: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    key = ring.access_signer(now)
    assert key.signer is not None
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": audience,
        "exp": iat + ttl,
        "iat": iat,
        "nbf": iat,
        "jti": secrets.token_urlsafe(16),
        "client_id": client_id,
        "scope": scope,
    }
    if sid is not None:
        claims["sid"] = sid
    if email is not None:
        claims["email"] = email
    claims.update(extra or {})
    headers = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    return jwt.encode(claims, key.signer, algorithm=ACCESS_ALGORITHM, headers=headers)


class KeyRingHolder(Protocol):
    """What holds the current key ring (the key store, which swaps it on reload)."""

    @property
    def ring(self) -> KeyRing: ...


class RingKeys:
    """auth-client's `KeySource` over our own key ring: the published access keys, no HTTP."""

    def __init__(self, ring: KeyRingHolder, clock: Clock) -> None:
        self._holder, self._clock = ring, clock

    def peek(self, kid: str) -> VerificationKey | None:
        key = self._holder.ring.access.get(kid)
        if key is None or not key.published_at(self._clock.now()):
            return None
        return VerificationKey(kid=kid, algorithm=ACCESS_ALGORITHM, key=key.verifier)

    async def get(self, kid: str) -> VerificationKey | None:
        return self.peek(kid)


def verifier(keys: KeyRingHolder, clock: Clock, *, issuer: str, audience: str) -> TokenVerifier:
    return TokenVerifier(
        RingKeys(keys, clock),
        issuer=issuer,
        audience=audience,
        leeway=LEEWAY_SECONDS,
        algorithms=(ACCESS_ALGORITHM,),
        clock=lambda: clock.now().timestamp(),  # `exp`/`nbf` by the clock that set them
    )
