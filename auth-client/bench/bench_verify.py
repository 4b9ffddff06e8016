"""How fast tokens verify: with the verified-token cache, without it, and from a PEM per call.

    uv run python auth-client/bench/bench_verify.py [--tokens 200] [--seconds 2]

The keys are served by a local issuer app in-process (httpx ASGITransport), so the figures
are the verifier's own cost: no network, no JWKS fetch after the first.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
from auth_client import JWKSCache, TokenVerifier, VerifiedTokenCache
from auth_client.testing import LocalIssuer
from jose import jwt


async def rate(
    verify: Callable[[str], Awaitable[object]], tokens: list[str], seconds: float
) -> float:
    """Verifications per second, cycling through `tokens` for about `seconds`."""
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for token in tokens:
            await verify(token)
        done += len(tokens)
    return done / elapsed


async def main(token_count: int, seconds: float) -> None:
    issuer = LocalIssuer()
    tokens = [issuer.mint(f"user-{n}", "notes:read") for n in range(token_count)]
    transport = httpx.ASGITransport(app=issuer.app)
    async with httpx.AsyncClient(transport=transport, base_url=issuer.issuer) as http:
        keys = JWKSCache(http, jwks_url=issuer.jwks_url)
        await keys.load()
        uncached = TokenVerifier(keys, issuer=issuer.issuer, audience=issuer.audience)
        cached = TokenVerifier(
            keys,
            issuer=issuer.issuer,
            audience=issuer.audience,
            cache=VerifiedTokenCache(max_entries=10_000),
        )
        pem = issuer.signing_key.public_pem.decode()

        async def from_pem(token: str) -> object:
            # What a naive verifier does: hand python-jose the PEM and let it parse per call.
            return jwt.decode(token, pem, algorithms=["RS256"], audience=issuer.audience)

        figures = {
            "PEM parsed per call": await rate(from_pem, tokens, seconds),
            "ready key, no cache": await rate(uncached.verify, tokens, seconds),
            "ready key + cache": await rate(cached.verify, tokens, seconds),
        }
        await keys.aclose()

    print(f"{token_count} distinct tokens, each verified repeatedly for ~{seconds:g} s per row")
    for name, per_second in figures.items():
        print(f"  {name:<22} {per_second:>12,.0f} tokens/s")
    plain = figures["ready key, no cache"]
    print(f"  cache speed-up: {figures['ready key + cache'] / plain:.1f}x")
    print(f"  ready key vs PEM: {plain / figures['PEM parsed per call']:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200, help="distinct tokens (default 200)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per row (default 2)")
    args = parser.parse_args()
    asyncio.run(main(args.tokens, args.seconds))
