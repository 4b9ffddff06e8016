"""Verifying an access token (RFC 9068) against the issuer's cached keys."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, Protocol

from jose.exceptions import JOSEError

from auth_client.errors import InvalidTokenError, TokenExpiredError
from auth_client.jwks import VerificationKey
from auth_client.jws import MalformedJWS, parse_compact
from auth_client.principal import Principal
from auth_client.token_cache import CachedVerification, VerifiedTokenCache, fingerprint

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
        """The principal the token speaks for; raises InvalidTokenError (or a subclass) if none.

        A repeated token costs one dict lookup (the verified-token cache); a new one is
        parsed once (header, claims, signature) and checked with the key's own RSA check.
        A per-verification index (e.g. of revoked sessions) belongs right after the cache
        hit and after `_verified`: `principal.sid` is at hand on both paths.
        """
        cache = self._cache
        if cache is None:
            return (await self._verified(token))[0]
        key = fingerprint(token)
        cached = cache.get_by_fingerprint(key)
        # A key withdrawn from the JWKS withdraws what it vouched for, cached or not.
        if cached is not None and self._keys.peek(cached.kid) is not None:
            return cached.principal
        principal, kid, exp = await self._verified(token)
        cache.put_by_fingerprint(key, CachedVerification(principal, kid, exp))
        return principal

    async def _verified(self, token: str) -> tuple[Principal, str, float]:
        header, claims, signing_input, signature = _parse(token)
        kid = self._check_header(header)
        key = await self._keys.get(kid)
        if key is None:
            raise InvalidTokenError("The token was not signed by a known key")
        # Only the key's own algorithm: a key published for RS256 verifies nothing else.
        if header["alg"] != key.algorithm or not _signature_matches(key, signing_input, signature):
            raise InvalidTokenError("The token's signature is not valid")
        if not isinstance(claims, dict):
            raise InvalidTokenError("The token's claims are malformed")
        exp = self._check_claims(claims)
        return Principal.from_claims(claims), kid, exp

    def _check_header(self, header: Any) -> str:
        if not isinstance(header, dict):
            raise InvalidTokenError("The token is malformed")
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

    def _check_claims(self, claims: dict[str, Any]) -> float:
        """`iss`, `aud`, `exp`, `nbf`, `iat` (RFC 7519 §4.1), with the leeway; returns `exp`."""
        missing = [name for name in REQUIRED_CLAIMS if name not in claims]
        if missing:
            raise InvalidTokenError(f"The token lacks the claims {', '.join(missing)}")
        if claims["iss"] != self._issuer:
            raise _refused("Invalid issuer")
        aud = claims["aud"]
        if isinstance(aud, str):
            aud = [aud]
        if not isinstance(aud, list) or not all(isinstance(item, str) for item in aud):
            raise _refused("Invalid claim format in token: aud")
        if self._audience not in aud:
            raise _refused("Invalid audience")
        now, leeway = self._clock(), self._leeway
        exp = _number(claims, "exp")
        _number(claims, "iat")
        # "On or after" `exp` it is expired (RFC 7519 §4.1.4), and the cache agrees.
        if now >= exp + leeway:
            raise TokenExpiredError()
        if "nbf" in claims and _number(claims, "nbf") > now + leeway:
            raise _refused("The token is not yet valid (nbf)")
        return exp


def _refused(reason: str) -> InvalidTokenError:
    return InvalidTokenError(f"The token's claims are not accepted: {reason}")


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims[name]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidTokenError(f"The claim '{name}' must be a number")
    return float(value)


def _parse(token: str) -> tuple[Any, Any, bytes, bytes]:
    try:
        return parse_compact(token)
    except MalformedJWS as exc:
        raise InvalidTokenError("The token is malformed") from exc


def _signature_matches(key: VerificationKey, signing_input: bytes, signature: bytes) -> bool:
    try:
        return bool(key.key.verify(signing_input, signature))
    except (JOSEError, TypeError, ValueError):
        return False
