"""`AuthClient`: the one object a service configures to verify tokens (keys, cache, verifier)."""

from __future__ import annotations

from collections.abc import Collection
from types import TracebackType

import httpx

from auth_client.jwks import JWKSCache
from auth_client.principal import Principal
from auth_client.revocations import RevocationFeed
from auth_client.token_cache import VerifiedTokenCache
from auth_client.verifier import TokenVerifier

USER_AGENT = "gatehouse-auth-client"


class AuthClient:
    """Verifies access tokens issued by `issuer` for `audience`.

    With `revocations`, every verification (verified-token cache hits included) also asks
    the revocation feed's in-memory index; the feed follows in the background between
    `start()` and `aclose()`.

    Build it once (in the app factory), `await start()` it in the lifespan (or use it as an
    async context manager) and `await aclose()` it on shutdown. Pass `http_client` to choose
    the transport (tests, proxies); otherwise the client makes and owns one.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        leeway: float = 30.0,
        algorithms: Collection[str] = ("RS256",),
        refetch_interval: float = 10.0,
        token_cache_size: int = 10_000,
        realm: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
        revocations: RevocationFeed | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.realm = realm or audience
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        self.keys = JWKSCache(
            self._http,
            jwks_url=jwks_url,
            issuer=issuer,
            algorithms=algorithms,
            refetch_interval=refetch_interval,
        )
        self.revocations = revocations
        self.token_cache = VerifiedTokenCache(token_cache_size) if token_cache_size > 0 else None
        self.verifier = TokenVerifier(
            self.keys,
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            algorithms=algorithms,
            cache=self.token_cache,
        )

    async def start(self) -> None:
        """Fetch the keys ahead of the first request; an unreachable issuer is only logged."""
        await self.keys.load()
        if self.revocations is not None:
            await self.revocations.start()

    async def aclose(self) -> None:
        if self.revocations is not None:
            await self.revocations.aclose()
        await self.keys.aclose()
        if self._owns_http:
            await self._http.aclose()

    async def verify(self, token: str) -> Principal:
        principal = await self.verifier.verify(token)
        if self.revocations is not None:
            self.revocations.check(principal)
        return principal

    async def __aenter__(self) -> AuthClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
