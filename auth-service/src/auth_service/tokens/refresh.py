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

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError

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
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


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


def verify(ring: KeyRing, token: str, *, issuer: str) -> RefreshClaims:
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise RefreshTokenInvalid("malformed") from exc
    if header.get("alg") != REFRESH_ALGORITHM or header.get("typ") != REFRESH_TOKEN_TYPE:
        raise RefreshTokenInvalid("not a refresh token")
    key = ring.refresh.get(str(header.get("kid")))
    if key is None:
        raise RefreshTokenInvalid("unknown key")
    try:
        claims = jwt.decode(
            token, key.key, algorithms=[REFRESH_ALGORITHM], audience=issuer, issuer=issuer
        )
    except ExpiredSignatureError as exc:
        unverified = jwt.get_unverified_claims(token)
        raise RefreshTokenExpired(str(unverified.get("sid") or "") or None) from exc
    except JOSEError as exc:
        raise RefreshTokenInvalid("bad signature or claims") from exc
    try:
        return RefreshClaims(
            sub=str(claims["sub"]),
            sid=str(claims["sid"]),
            jti=str(claims["jti"]),
            iat=int(claims["iat"]),
            exp=int(claims["exp"]),
            kid=str(header["kid"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RefreshTokenInvalid("missing claims") from exc
