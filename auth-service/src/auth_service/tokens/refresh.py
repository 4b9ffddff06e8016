"""Refresh tokens: HS256 JWTs under a secret that never leaves the service.

They are deterministic: the same (sid, jti, iat, exp) always gives the same token. A
successor's id is derived from the spent token's id with the service's HMAC secret
(`successor_jti`), its `iat` is the rotation time PostgreSQL records, its `exp` follows
from the session's creation. So a replay inside the grace window gets the very same
successor back, and neither token nor id is stored anywhere: PostgreSQL and Redis keep only
sha256 hashes of ids (`jti_hash`). A reader of the database cannot re-mint a token: that
needs the id, which needs the secret, which never leaves the service.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auth_client.jws import MalformedJWS, b64url_encode, parse_compact
from jose import jwt

from auth_service.keys.keyring import REFRESH_ALGORITHM, KeyRing

REFRESH_TOKEN_TYPE = "rt+jwt"  # noqa: S105 (a type name, not a secret)


@dataclass(frozen=True)
class RefreshClaims:
    sub: str
    sid: str
    jti: str
    iat: int
    exp: int
    kid: str


class RefreshTokenInvalid(Exception):
    pass


class RefreshTokenExpired(RefreshTokenInvalid):
    def __init__(self, sid: str | None) -> None:
        super().__init__("expired")
        self.sid = sid


def jti_hash(jti: str) -> str:
    return hashlib.sha256(jti.encode()).hexdigest()


def successor_jti(ring: KeyRing, spent: RefreshClaims) -> str:
    """The one successor id of a spent token: HMAC under the key that signed it."""
    key = ring.refresh[spent.kid].key
    mac = key.sign(f"gatehouse:rt-successor:{spent.sid}:{spent.jti}".encode())
    return b64url_encode(mac[:16])


def mint(
    ring: KeyRing,
    *,
    issuer: str,
    ttl: int,
    now: datetime,
    sub: str,
    sid: str,
    jti: str,
    iat: int,
    exp: int | None = None,
) -> str:
    """`exp` defaults to `iat + ttl`; the signing key is the one active at `now`."""
    key = ring.refresh_signer(now)
    claims = {
        "iss": issuer,
        "aud": issuer,
        "sub": sub,
        "sid": sid,
        "jti": jti,
        "iat": iat,
        "exp": iat + ttl if exp is None else exp,
    }
    return jwt.encode(
        claims,
        key.key,
        algorithm=REFRESH_ALGORITHM,
        headers={"kid": key.kid, "typ": REFRESH_TOKEN_TYPE},
    )


def _parse(token: str) -> tuple[Any, Any, bytes, bytes]:
    try:
        return parse_compact(token)
    except MalformedJWS as exc:
        raise RefreshTokenInvalid("malformed") from exc


def verify(ring: KeyRing, token: str, *, issuer: str, now: float | None = None) -> RefreshClaims:
    """The claims of a refresh token this service signed, parsed once and checked as
    RFC 7519 says (`exp` passed: expired; `iss` and `aud` are this service)."""
    header, claims, signing_input, signature = _parse(token)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise RefreshTokenInvalid("malformed")
    if header.get("alg") != REFRESH_ALGORITHM or header.get("typ") != REFRESH_TOKEN_TYPE:
        raise RefreshTokenInvalid("not a refresh token")
    key = ring.refresh.get(str(header.get("kid")))
    if key is None:
        raise RefreshTokenInvalid("unknown key")
    if not key.key.verify(signing_input, signature):
        raise RefreshTokenInvalid("bad signature")
    try:
        verified = RefreshClaims(
            sub=_text(claims["sub"]),
            sid=_text(claims["sid"]),
            jti=_text(claims["jti"]),
            iat=_whole(claims["iat"]),
            exp=_whole(claims["exp"]),
            kid=str(header["kid"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RefreshTokenInvalid("missing claims") from exc
    if claims.get("iss") != issuer or claims.get("aud") not in (issuer, [issuer]):
        raise RefreshTokenInvalid("bad claims")
    if verified.exp < (time.time() if now is None else now):  # alive through its `exp` second
        raise RefreshTokenExpired(verified.sid or None)
    return verified


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _whole(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value
