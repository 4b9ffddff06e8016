"""ID tokens (OpenID Connect Core §2): RS256 under the access-token key ring, with `kid`,
so a relying party verifies them with the JWKS it already has."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auth_client.jws import b64url_encode
from jose import jwt

from auth_service.keys.keyring import ACCESS_ALGORITHM, KeyRing


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: the left half of the SHA-256 of the token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64url_encode(digest[: len(digest) // 2])


@dataclass(frozen=True, kw_only=True)
class IdClaims:
    sub: str
    client_id: str
    auth_time: int
    amr: list[str]
    sid: str  # the browser's Gatehouse session: end_session ends it
    nonce: str | None
    email: str | None = None  # with scope `email`
    email_verified: bool | None = None


def mint(
    ring: KeyRing, *, issuer: str, ttl: int, now: datetime, facts: IdClaims, access_token: str
) -> str:
    key = ring.access_signer(now)
    assert key.signer is not None
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": facts.sub,
        "aud": facts.client_id,
        "azp": facts.client_id,
        "exp": iat + ttl,
        "iat": iat,
        "auth_time": facts.auth_time,
        "amr": facts.amr,
        "sid": facts.sid,
        "at_hash": at_hash(access_token),
    }
    if facts.nonce is not None:
        claims["nonce"] = facts.nonce
    if facts.email is not None:
        claims["email"] = facts.email
        claims["email_verified"] = bool(facts.email_verified)
    return jwt.encode(claims, key.signer, algorithm=ACCESS_ALGORITHM, headers={"kid": key.kid})
