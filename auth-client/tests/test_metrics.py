"""`AuthClientCollector`: an `AuthClient`'s key fetches and cache hits as Prometheus metrics."""

from __future__ import annotations

import httpx
from auth_client import AuthClient, RevocationFeed
from auth_client.metrics import AuthClientCollector
from auth_client.testing import LocalIssuer
from prometheus_client import CollectorRegistry


def _samples(registry: CollectorRegistry) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in registry.collect():
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


async def test_fetches_key_lookups_and_token_cache_hits_are_counted(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    registry = CollectorRegistry()
    async with AuthClient(
        issuer=issuer.issuer, audience=issuer.audience, http_client=http
    ) as client:
        registry.register(AuthClientCollector(client))
        token = issuer.mint_user()
        for _ in range(3):
            await client.verify(token)
        samples = _samples(registry)
    assert samples["gatehouse_jwks_fetches_total{result=ok}"] == 1
    assert samples["gatehouse_jwks_fetches_total{result=failed}"] == 0
    assert samples["gatehouse_jwks_key_lookups_total{result=hit}"] >= 1
    assert samples["gatehouse_jwks_keys"] == 1
    assert samples["gatehouse_verified_token_cache_total{result=miss}"] == 1
    assert samples["gatehouse_verified_token_cache_total{result=hit}"] == 2
    assert not any(name.startswith("gatehouse_revocation") for name in samples)


async def test_a_revocation_feed_adds_its_figures(issuer: LocalIssuer) -> None:
    feed = RevocationFeed(issuer.issuer, "client", "secret")
    client = AuthClient(issuer=issuer.issuer, audience=issuer.audience, revocations=feed)
    registry = CollectorRegistry()
    registry.register(AuthClientCollector(client, prefix="svc"))
    samples = _samples(registry)
    await client.aclose()
    for name in (
        "svc_revocation_feed_lag_seconds",
        "svc_revocation_feed_entries",
        "svc_revocation_feed_reconnects_total",
        "svc_revocation_feed_reloads_total",
        "svc_revoked_tokens_refused_total",
    ):
        assert name in samples, name
    assert samples["svc_revocation_feed_entries"] == 0
