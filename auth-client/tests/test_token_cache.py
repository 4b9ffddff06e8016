"""The cache of verified tokens: fast for repeats, bounded, and never past a token's expiry."""

from __future__ import annotations

import pytest
from auth_client import Principal, TokenExpiredError, TokenVerifier, VerifiedTokenCache
from auth_client.testing import LocalIssuer, ManualClock
from auth_client.token_cache import CachedVerification


async def test_a_repeated_token_is_answered_from_the_cache(
    issuer: LocalIssuer, cached_verifier: TokenVerifier
) -> None:
    token = issuer.mint()

    first = await cached_verifier.verify(token)
    second = await cached_verifier.verify(token)

    assert second is first


async def test_a_cached_token_is_refused_once_its_expiry_has_passed(
    issuer: LocalIssuer, cached_verifier: TokenVerifier, wall_clock: ManualClock
) -> None:
    token = issuer.mint(exp=int(wall_clock.now) + 60)
    assert (await cached_verifier.verify(token)).sub == "user-1"

    wall_clock.advance(60 + 30)  # past `exp` and the 30 s leeway

    with pytest.raises(TokenExpiredError):
        await cached_verifier.verify(token)


async def test_within_the_leeway_an_expired_token_is_verified_again_not_served_from_cache(
    issuer: LocalIssuer, cached_verifier: TokenVerifier, wall_clock: ManualClock
) -> None:
    token = issuer.mint(exp=int(wall_clock.now) + 60)
    first = await cached_verifier.verify(token)

    wall_clock.advance(61)

    again = await cached_verifier.verify(token)
    assert again == first
    assert again is not first


def test_the_cache_holds_at_most_its_size_dropping_the_least_recently_used() -> None:
    clock = ManualClock(1_000.0)
    cache = VerifiedTokenCache(max_entries=3, clock=clock)
    for name in ("a", "b", "c"):
        cache.put(name, _entry(name, expires_at=2_000))

    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.put("d", _entry("d", expires_at=2_000))

    assert len(cache) == 3
    assert cache.get("b") is None
    assert {name for name in "acd" if cache.get(name) is not None} == {"a", "c", "d"}


def test_an_entry_is_gone_at_its_expiry_instant() -> None:
    clock = ManualClock(1_000.0)
    cache = VerifiedTokenCache(clock=clock)
    cache.put("token", _entry("token", expires_at=1_010))

    clock.advance(9.999)
    assert cache.get("token") is not None
    clock.advance(0.001)
    assert cache.get("token") is None
    assert len(cache) == 0


def test_a_cache_must_hold_something() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        VerifiedTokenCache(max_entries=0)


def _entry(sub: str, expires_at: float) -> CachedVerification:
    return CachedVerification(Principal(sub=sub), kid="k", expires_at=expires_at)
