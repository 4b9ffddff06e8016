"""The issuer's public keys: fetched from its JWKS, kept as ready key objects, refreshed sparingly.

Rules, and why:
- keys are built once per fetch (python-jose parses a JWK far slower than it verifies);
- the JWKS response's `Cache-Control: max-age` sets how long the set is fresh, within bounds;
- a stale set keeps serving while one background fetch revalidates it, so no request waits;
- an unknown `kid` triggers at most one fetch per `refetch_interval`, however many requests
  carry made-up kids at once (single flight under one lock);
- a failed fetch is logged and the cached keys stay in use: an auth-service outage must not
  take every API down with it. Only with no key cached at all is it an error.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import math
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import httpx
from jose import jwk
from jose.backends.base import Key
from jose.exceptions import JOSEError

from auth_client.discovery import describe_http_error, fetch_provider_metadata
from auth_client.errors import DiscoveryError, KeysUnavailableError

logger = logging.getLogger("auth_client.jwks")

Clock = Callable[[], float]

MIN_RSA_BITS = 2048
# While nothing is cached (the auth service is still starting) there is nothing to protect
# it from but a flood, so retry sooner than the usual refetch interval.
COLD_RETRY_INTERVAL = 1.0

_JWKS_ACCEPT = "application/jwk-set+json, application/json;q=0.9"
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


@dataclass(slots=True)
class JWKSStats:
    """Counts for monitoring: read by `service_kit.observability`, never reset."""

    fetches: int = 0
    fetch_failures: int = 0
    key_hits: int = 0
    key_misses: int = 0


@dataclass(frozen=True, slots=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Key


def cache_lifetime(cache_control: str | None, *, default: float, low: float, high: float) -> float:
    """Seconds a JWKS response may be reused: its max-age, clamped to [low, high]."""
    if cache_control is None:
        return default
    if re.search(r"no-store|no-cache", cache_control, re.IGNORECASE):
        return low
    match = _MAX_AGE.search(cache_control)
    seconds = float(match.group(1)) if match else default
    return min(max(seconds, low), high)


def _b64url_uint(value: object) -> int:
    if not isinstance(value, str):
        raise TypeError("not a base64url string")
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return int.from_bytes(raw, "big")


def _usable_key(entry: object, algorithms: Collection[str]) -> VerificationKey | None:
    """A verification key from one JWK, or None if it is not one we may use."""
    if not isinstance(entry, dict):
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid or entry.get("kty") != "RSA":
        return None
    if entry.get("use", "sig") != "sig":
        return None
    # A JWK without `alg` may be used with any RSA algorithm we accept.
    algorithm = entry.get("alg") or next(
        (a for a in sorted(algorithms) if a.startswith("RS")), None
    )
    if not isinstance(algorithm, str) or algorithm not in algorithms:
        return None
    try:
        bits = _b64url_uint(entry.get("n")).bit_length()
        _b64url_uint(entry.get("e"))
        # Only the public members: a JWKS that leaks `d` must not make us hold a private key.
        key = jwk.construct({"kty": "RSA", "n": entry["n"], "e": entry["e"]}, algorithm)
    except (TypeError, ValueError, binascii.Error, JOSEError):
        logger.warning("skipping the malformed JWK %r", kid)
        return None
    if bits < MIN_RSA_BITS:
        logger.warning("skipping the JWK %r: RSA key of %d bits is too weak", kid, bits)
        return None
    return VerificationKey(kid=kid, algorithm=algorithm, key=key)


def parse_jwks(document: object, algorithms: Collection[str]) -> dict[str, VerificationKey]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the response is not a JWK set")
    keys = (_usable_key(entry, algorithms) for entry in document["keys"])
    return {key.kid: key for key in keys if key is not None}


class JWKSCache:
    """Ready verification keys by `kid`, from `jwks_url` or from the issuer's discovery document."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        jwks_url: str | None = None,
        issuer: str | None = None,
        algorithms: Collection[str] = ("RS256",),
        refetch_interval: float = 10.0,
        default_ttl: float = 300.0,
        min_ttl: float = 30.0,
        max_ttl: float = 3600.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if jwks_url is None and issuer is None:
            raise ValueError("JWKSCache needs a jwks_url or an issuer to discover it from")
        self._http = http
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._algorithms = frozenset(algorithms)
        self._refetch_interval = refetch_interval
        self._ttl_bounds = (default_ttl, min_ttl, max_ttl)
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._loaded = False
        self._fresh_until = -math.inf
        self._last_attempt = -math.inf
        self._lock = asyncio.Lock()
        self._revalidation: asyncio.Task[None] | None = None
        self.stats = JWKSStats()

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def peek(self, kid: str) -> VerificationKey | None:
        """The cached key for `kid`, never waiting; a stale set is revalidated in the background."""
        key = self._keys.get(kid)
        if key is None:
            self.stats.key_misses += 1
            return None
        self.stats.key_hits += 1
        if self._clock() >= self._fresh_until:
            self._revalidate_in_background()
        return key

    async def get(self, kid: str) -> VerificationKey | None:
        """The key for `kid`, fetching the JWKS first if `kid` is new and the interval allows."""
        key = self.peek(kid)
        if key is None:
            await self._refetch_for(kid)
            key = self._keys.get(kid)
        return key

    async def load(self) -> bool:
        """Fetch the keys now (at start-up). A failure is logged: keys can still come later."""
        async with self._lock:
            return await self._fetch_logged()

    async def aclose(self) -> None:
        task, self._revalidation = self._revalidation, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _refetch_for(self, kid: str) -> None:
        async with self._lock:
            if kid in self._keys:
                return  # another request fetched it while we waited for the lock
            if self._may_fetch():
                await self._fetch_logged()
            if not self._loaded:
                raise KeysUnavailableError("The issuer's keys could not be fetched; retry shortly")

    def _may_fetch(self) -> bool:
        interval = self._refetch_interval if self._loaded else COLD_RETRY_INTERVAL
        return self._clock() - self._last_attempt >= interval

    def _revalidate_in_background(self) -> None:
        running = self._revalidation is not None and not self._revalidation.done()
        if not running and self._may_fetch():
            self._revalidation = asyncio.create_task(self._revalidate(), name="jwks-revalidate")

    async def _revalidate(self) -> None:
        async with self._lock:
            if self._clock() >= self._fresh_until and self._may_fetch():
                await self._fetch_logged()

    async def _fetch_logged(self) -> bool:
        self._last_attempt = self._clock()
        try:
            await self._fetch()
        except (httpx.HTTPError, ValueError, DiscoveryError) as exc:
            self.stats.fetch_failures += 1
            kept = f"{len(self._keys)} cached keys stay in use" if self._loaded else "no keys yet"
            logger.warning("could not fetch the JWKS (%s); %s", describe_http_error(exc), kept)
            return False
        return True

    async def _fetch(self) -> None:
        url = await self._resolve_jwks_url()
        response = await self._http.get(url, headers={"Accept": _JWKS_ACCEPT})
        response.raise_for_status()
        keys = parse_jwks(response.json(), self._algorithms)
        default, low, high = self._ttl_bounds
        ttl = cache_lifetime(
            response.headers.get("cache-control"), default=default, low=low, high=high
        )
        if not keys:
            logger.warning("the JWKS at %s has no usable key", url)
        self._keys, self._loaded = keys, True
        self.stats.fetches += 1
        self._fresh_until = self._clock() + ttl
        logger.info("loaded %d keys from %s, fresh for %.0f s", len(keys), url, ttl)

    async def _resolve_jwks_url(self) -> str:
        if self._jwks_url is None:
            issuer = self._issuer or ""
            self._jwks_url = (await fetch_provider_metadata(self._http, issuer)).jwks_uri
        return self._jwks_url
