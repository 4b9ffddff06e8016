"""Access tokens: RS256 JWTs after RFC 9068 (`typ: at+jwt`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError

from auth_service.errors import InvalidToken
from auth_service.keys.keyring import ACCESS_ALGORITHM, KeyRing

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 (a type name, not a secret)
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class AccessClaims:
    sub: str
    scope: str
    client_id: str
    sid: str | None
    email: str | None
    exp: int

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


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
    headers = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    return jwt.encode(claims, key.signer, algorithm=ACCESS_ALGORITHM, headers=headers)


def verify(ring: KeyRing, token: str, *, issuer: str, audience: str, now: datetime) -> AccessClaims:
    """Checks everything; trusts nothing in the header but `kid` to pick one of OUR keys."""
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise InvalidToken("The token is malformed") from exc
    if header.get("alg") != ACCESS_ALGORITHM or header.get("typ") != ACCESS_TOKEN_TYPE:
        raise InvalidToken("The token is not an access token")
    key = ring.access.get(str(header.get("kid")))
    if key is None or not key.published_at(now):
        raise InvalidToken("The token was not signed by a known key")
    try:
        claims = jwt.decode(
            token,
            key.verifier,
            algorithms=[ACCESS_ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={
                "leeway": LEEWAY_SECONDS,
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
            },
        )
    except ExpiredSignatureError as exc:
        raise InvalidToken("The token has expired") from exc
    except JOSEError as exc:
        raise InvalidToken("The token is not valid") from exc
    return AccessClaims(
        sub=str(claims["sub"]),
        scope=str(claims.get("scope", "")),
        client_id=str(claims.get("client_id", "")),
        sid=claims.get("sid"),
        email=claims.get("email"),
        exp=int(claims["exp"]),
    )
