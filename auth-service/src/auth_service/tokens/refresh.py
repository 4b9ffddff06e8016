"""Refresh tokens: HS256 JWTs under a secret that never leaves the service.

They are deterministic: the same (sid, jti, iat) always gives the same token. So Redis
keeps only a successor's id and time, and a replay inside the grace window gets the very
same successor back without the token itself being stored anywhere.
"""

from __future__ import annotations

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


class RefreshTokenInvalid(Exception):
    pass


class RefreshTokenExpired(RefreshTokenInvalid):
    def __init__(self, sid: str | None) -> None:
        super().__init__("expired")
        self.sid = sid


def mint(
    ring: KeyRing, *, issuer: str, ttl: int, now: datetime, sub: str, sid: str, jti: str, iat: int
) -> str:
    key = ring.refresh_signer(now)
    claims = {
        "iss": issuer,
        "aud": issuer,
        "sub": sub,
        "sid": sid,
        "jti": jti,
        "iat": iat,
        "exp": iat + ttl,
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
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RefreshTokenInvalid("missing claims") from exc
