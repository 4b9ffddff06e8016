"""Verifying an access token (RFC 9068) against the issuer's cached keys."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, Protocol

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

from auth_client.errors import InvalidTokenError, TokenExpiredError
from auth_client.jwks import VerificationKey
from auth_client.principal import Principal
from auth_client.token_cache import CachedVerification, VerifiedTokenCache

# RFC 9068 §2.1; media types compare case-insensitively and may carry the "application/" prefix.
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")


class KeySource(Protocol):
    def peek(self, kid: str) -> VerificationKey | None: ...

    async def get(self, kid: str) -> VerificationKey | None: ...


class TokenVerifier:
    """Checks signature, `alg`, `typ`, `iss`, `aud`, `exp`/`nbf` (with leeway); returns the caller.

    Only `kid` is read from the header to choose among the issuer's keys; `jku`, `x5u`, `jwk`
    and `x5c` are never looked at, so a token cannot bring its own key.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        algorithms: Collection[str] = ("RS256",),
        cache: VerifiedTokenCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if any(alg == "none" or alg.startswith("HS") for alg in algorithms):
            raise ValueError("only asymmetric algorithms may verify tokens signed by an issuer")
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._algorithms = frozenset(algorithms)
        self._cache = cache
        self._clock = clock

    async def verify(self, token: str) -> Principal:
        """The principal the token speaks for; raises InvalidTokenError (or a subclass) if none."""
        if self._cache is not None:
            cached = self._cache.get(token)
            # A key withdrawn from the JWKS withdraws what it vouched for, cached or not.
            if cached is not None and self._keys.peek(cached.kid) is not None:
                return cached.principal
        kid = self._check_header(token)
        key = await self._keys.get(kid)
        if key is None:
            raise InvalidTokenError("The token was not signed by a known key")
        claims = self._decode(token, key)
        principal = Principal.from_claims(claims)
        if self._cache is not None:
            self._cache.put(token, CachedVerification(principal, kid, float(claims["exp"])))
        return principal

    def _check_header(self, token: str) -> str:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise InvalidTokenError("The token is malformed") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise InvalidTokenError("The token's signing algorithm is not accepted")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
            raise InvalidTokenError("The token is not an access token")
        if "crit" in header:  # RFC 7515 §4.1.11: we implement no extension, so refuse them all
            raise InvalidTokenError("The token uses an unsupported critical header")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("The token names no signing key")
        return kid

    def _decode(self, token: str, key: VerificationKey) -> dict[str, Any]:
        try:
            # Only the key's own algorithm: a key published for RS256 verifies nothing else.
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                options={"leeway": self._leeway},
                audience=self._audience,
                issuer=self._issuer,
            )
        except ExpiredSignatureError as exc:
            raise TokenExpiredError() from exc
        except JWTClaimsError as exc:
            raise InvalidTokenError(f"The token's claims are not accepted: {exc}") from exc
        except JOSEError as exc:
            raise InvalidTokenError("The token's signature is not valid") from exc
        except (TypeError, ValueError) as exc:  # python-jose trips on claims of odd types
            raise InvalidTokenError("The token's claims are malformed") from exc
        # python-jose checks these only when present; an access token must have them all.
        missing = [name for name in REQUIRED_CLAIMS if name not in claims]
        if missing:
            raise InvalidTokenError(f"The token lacks the claims {', '.join(missing)}")
        self._check_expiry(claims)
        return claims

    def _check_expiry(self, claims: dict[str, Any]) -> None:
        # python-jose lets a token through for the whole second of its `exp`; RFC 7519 §4.1.4
        # says "on or after" it is expired, and the verified-token cache agrees.
        exp = claims["exp"]
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise InvalidTokenError("The claim 'exp' must be a number")
        if self._clock() >= exp + self._leeway:
            raise TokenExpiredError()
