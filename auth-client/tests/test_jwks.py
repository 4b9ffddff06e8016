"""How keys are found, cached, refreshed, and kept through an issuer outage."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
from auth_client import (
    DiscoveryError,
    InvalidTokenError,
    JWKSCache,
    KeysUnavailableError,
    TokenVerifier,
)
from auth_client.jwks import cache_lifetime, parse_jwks
from auth_client.testing import LocalIssuer, ManualClock, ServerThread, SigningKey


async def test_keys_are_found_through_the_issuers_discovery_document(
    issuer: LocalIssuer, keys: JWKSCache
) -> None:
    assert await keys.load()

    assert keys.kids == {issuer.signing_key.kid}
    assert (issuer.discovery_fetches, issuer.jwks_fetches) == (1, 1)


async def test_a_configured_jwks_url_skips_discovery(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    keys = JWKSCache(http, jwks_url=issuer.jwks_url)

    assert await keys.load()

    assert keys.kids == {issuer.signing_key.kid}
    assert issuer.discovery_fetches == 0


async def test_a_discovery_document_naming_another_issuer_is_not_trusted(
    issuer: LocalIssuer, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    served_at = issuer.issuer
    issuer.issuer = "https://impostor.example"
    keys = JWKSCache(http, issuer=served_at)

    assert not await keys.load()

    assert issuer.jwks_fetches == 0
    assert "names the issuer" in caplog.text


async def test_many_requests_verify_with_one_fetch(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    tokens = [issuer.mint(f"user-{n}") for n in range(50)]

    principals = await asyncio.gather(*(verifier.verify(token) for token in tokens))

    assert [p.sub for p in principals] == [f"user-{n}" for n in range(50)]
    assert issuer.jwks_fetches == 1


async def test_a_flood_of_unknown_kids_costs_at_most_one_fetch_per_interval(
    issuer: LocalIssuer, keys: JWKSCache, verifier: TokenVerifier, monotonic: ManualClock
) -> None:
    await keys.load()
    monotonic.advance(10)  # the refetch interval has passed: one fetch is allowed again
    forged = [issuer.mint(headers={"kid": uuid.uuid4().hex}) for _ in range(200)]

    results = await asyncio.gather(*(verifier.verify(t) for t in forged), return_exceptions=True)

    assert all(isinstance(result, InvalidTokenError) for result in results)
    assert issuer.jwks_fetches == 2

    monotonic.advance(5)  # still within the interval of the last fetch
    await asyncio.gather(*(verifier.verify(t) for t in forged[:50]), return_exceptions=True)
    assert issuer.jwks_fetches == 2

    monotonic.advance(5)
    await asyncio.gather(*(verifier.verify(t) for t in forged[:50]), return_exceptions=True)
    assert issuer.jwks_fetches == 3


async def test_a_rotated_key_is_picked_up_when_its_first_token_arrives(
    issuer: LocalIssuer,
    keys: JWKSCache,
    verifier: TokenVerifier,
    monotonic: ManualClock,
    rsa_keys: list[SigningKey],
) -> None:
    old_token = issuer.mint("before-rotation")
    assert (await verifier.verify(old_token)).sub == "before-rotation"

    issuer.rotate(rsa_keys[1])
    monotonic.advance(10)
    new_token = issuer.mint("after-rotation")

    assert (await verifier.verify(new_token)).sub == "after-rotation"
    assert (await verifier.verify(old_token)).sub == "before-rotation"  # still published
    assert keys.kids == {rsa_keys[0].kid, rsa_keys[1].kid}


async def test_a_withdrawn_key_stops_verifying_even_tokens_already_cached(
    issuer: LocalIssuer, keys: JWKSCache, cached_verifier: TokenVerifier, monotonic: ManualClock
) -> None:
    token = issuer.mint()
    await cached_verifier.verify(token)

    issuer.withdraw(issuer.signing_key.kid)
    monotonic.advance(301)  # past the JWKS max-age: the next request revalidates
    await cached_verifier.verify(token)  # served from the stale set while it refreshes
    await _background_refresh_done(keys)

    with pytest.raises(InvalidTokenError, match="known key"):
        await cached_verifier.verify(token)


async def test_keys_are_reused_until_the_max_age_of_the_jwks_response(
    issuer: LocalIssuer, keys: JWKSCache, verifier: TokenVerifier, monotonic: ManualClock
) -> None:
    issuer.cache_control = "public, max-age=120"
    token = issuer.mint()
    await verifier.verify(token)

    monotonic.advance(119)
    await verifier.verify(token)
    await _background_refresh_done(keys)
    assert issuer.jwks_fetches == 1

    monotonic.advance(2)
    await verifier.verify(token)
    await _background_refresh_done(keys)
    assert issuer.jwks_fetches == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, 300),
        ("max-age=600", 600),
        ('public, max-age="90"', 90),
        ("max-age=0", 30),
        ("no-store", 30),
        ("max-age=9999999", 3600),
        ("public", 300),
    ],
)
def test_the_jwks_lifetime_honours_max_age_within_bounds(header: str | None, seconds: int) -> None:
    assert cache_lifetime(header, default=300, low=30, high=3600) == seconds


async def test_cached_keys_keep_verifying_while_the_issuer_is_down(
    http: httpx.AsyncClient,
    monotonic: ManualClock,
    rsa_keys: list[SigningKey],
    caplog: pytest.LogCaptureFixture,
) -> None:
    issuer = LocalIssuer(signing_key=rsa_keys[0])
    server = ServerThread(issuer.app).start()
    issuer.issuer = server.url
    keys = JWKSCache(http, issuer=issuer.issuer, clock=monotonic)
    verifier = TokenVerifier(keys, issuer=issuer.issuer, audience=issuer.audience)
    token = issuer.mint()
    await verifier.verify(token)

    server.stop()  # connections to the issuer are now refused
    monotonic.advance(3600)  # long past the JWKS max-age
    for _ in range(3):
        assert (await verifier.verify(token)).sub == "user-1"
        await _background_refresh_done(keys)
        monotonic.advance(10)

    failures = [r for r in caplog.records if "could not fetch the JWKS (ConnectError" in r.message]
    assert len(failures) == 3  # one attempt per refetch interval, each logged, none raised
    await keys.aclose()


async def test_an_issuer_answering_errors_does_not_erase_the_cached_keys(
    issuer: LocalIssuer, keys: JWKSCache, verifier: TokenVerifier, monotonic: ManualClock
) -> None:
    token = issuer.mint()
    await verifier.verify(token)
    issuer.available = False
    monotonic.advance(10)

    with pytest.raises(InvalidTokenError):
        await verifier.verify(issuer.mint(headers={"kid": "unknown"}))
    assert (await verifier.verify(token)).sub == "user-1"
    assert issuer.jwks_fetches == 2


async def test_with_no_key_ever_fetched_verification_says_keys_are_unavailable(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    issuer.available = False

    with pytest.raises(KeysUnavailableError):
        await verifier.verify(issuer.mint())


async def test_an_issuer_that_comes_up_late_is_retried_soon(
    issuer: LocalIssuer, keys: JWKSCache, verifier: TokenVerifier, monotonic: ManualClock
) -> None:
    issuer.available = False
    assert not await keys.load()
    issuer.available = True
    monotonic.advance(1)

    assert (await verifier.verify(issuer.mint())).sub == "user-1"


def test_only_usable_rsa_signing_keys_are_taken_from_a_jwks(rsa_keys: list[SigningKey]) -> None:
    good = rsa_keys[0].public_jwk
    weak = {**good, "kid": "weak", "n": "AQAB"}
    encryption = {**good, "kid": "enc", "use": "enc"}
    other_alg = {**good, "kid": "rs512", "alg": "RS512"}
    elliptic = {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}
    broken = {**good, "kid": "broken", "n": 12}
    no_kid = {key: value for key, value in good.items() if key != "kid"}
    no_alg = {**{k: v for k, v in good.items() if k != "alg"}, "kid": "no-alg"}
    leaky = {**good, "kid": "leaky", "d": "AQAB"}

    keys = parse_jwks(
        {"keys": [good, weak, encryption, other_alg, elliptic, broken, no_kid, no_alg, leaky, 7]},
        ["RS256"],
    )

    assert set(keys) == {good["kid"], "no-alg", "leaky"}
    assert keys["no-alg"].algorithm == "RS256"


def test_a_document_that_is_not_a_jwks_is_rejected() -> None:
    documents: list[object] = [[], {"keys": "none"}, "text"]
    for document in documents:
        with pytest.raises(ValueError, match="JWK set"):
            parse_jwks(document, ["RS256"])


def test_a_key_store_needs_somewhere_to_find_keys(http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="jwks_url or an issuer"):
        JWKSCache(http)


async def test_discovery_failures_are_reported_as_discovery_errors(
    http: httpx.AsyncClient, issuer: LocalIssuer
) -> None:
    from auth_client.discovery import fetch_provider_metadata

    issuer.available = False
    with pytest.raises(DiscoveryError, match="503"):
        await fetch_provider_metadata(http, issuer.issuer)


async def _background_refresh_done(keys: JWKSCache) -> None:
    """Let a revalidation started in the background finish."""
    task = keys._revalidation
    if task is not None:
        await task


@pytest.fixture(autouse=True)
def _capture_library_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="auth_client")
