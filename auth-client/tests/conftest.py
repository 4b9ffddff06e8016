from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from auth_client import JWKSCache, TokenVerifier, VerifiedTokenCache
from auth_client.testing import LocalIssuer, ManualClock, ServerThread, SigningKey
from starlette.types import ASGIApp, Receive, Scope, Send


class SwappableApp:
    """One server for the whole session; each test plugs in its own issuer app."""

    def __init__(self) -> None:
        self.target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or self.target is None:
            return
        await self.target(scope, receive, send)


@pytest.fixture(scope="session")
def rsa_keys() -> list[SigningKey]:
    """RSA keys made once: generating one takes about 0.2 s."""
    return [SigningKey.generate() for _ in range(3)]


@pytest.fixture(scope="session")
def issuer_host() -> Iterator[tuple[ServerThread, SwappableApp]]:
    app = SwappableApp()
    with ServerThread(app, lifespan="off") as server:
        yield server, app


@pytest.fixture
def issuer(
    issuer_host: tuple[ServerThread, SwappableApp], rsa_keys: list[SigningKey]
) -> Iterator[LocalIssuer]:
    """A fresh issuer (keys, counters) served over real loopback HTTP."""
    server, host = issuer_host
    issuer = LocalIssuer(server.url, signing_key=rsa_keys[0])
    host.target = issuer.app
    yield issuer
    host.target = None


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def monotonic() -> ManualClock:
    return ManualClock(1_000.0)


@pytest.fixture
def wall_clock() -> ManualClock:
    return ManualClock(time.time())


@pytest.fixture
async def keys(
    issuer: LocalIssuer, http: httpx.AsyncClient, monotonic: ManualClock
) -> AsyncIterator[JWKSCache]:
    cache = JWKSCache(http, issuer=issuer.issuer, refetch_interval=10, clock=monotonic)
    yield cache
    await cache.aclose()


@pytest.fixture
def verifier(issuer: LocalIssuer, keys: JWKSCache) -> TokenVerifier:
    return TokenVerifier(keys, issuer=issuer.issuer, audience=issuer.audience)


@pytest.fixture
def cached_verifier(issuer: LocalIssuer, keys: JWKSCache, wall_clock: ManualClock) -> TokenVerifier:
    cache = VerifiedTokenCache(max_entries=100, clock=wall_clock)
    return TokenVerifier(
        keys, issuer=issuer.issuer, audience=issuer.audience, cache=cache, clock=wall_clock
    )
