"""Prometheus metrics of an `AuthClient` (extra `auth-client[metrics]`), read at scrape time.

    registry.register(AuthClientCollector(auth_client))

JWKS fetches and key lookups, the keys held, the verified-token cache and, with a
revocation feed, its lag, size, reconnects, reloads and the tokens it refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from auth_client.client import AuthClient
from auth_client.revocations import RevocationFeed

__all__ = ["AuthClientCollector"]


class AuthClientCollector(Collector):
    """JWKS fetches and key-cache hits of an `AuthClient`, read at scrape time."""

    def __init__(self, client: AuthClient, prefix: str = "gatehouse") -> None:
        self._client, self._prefix = client, prefix

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
        p, keys, tokens = self._prefix, self._client.keys, self._client.token_cache
        fetches = CounterMetricFamily(f"{p}_jwks_fetches", "JWKS fetches", labels=["result"])
        fetches.add_metric(["ok"], keys.stats.fetches)
        fetches.add_metric(["failed"], keys.stats.fetch_failures)
        yield fetches
        lookups = CounterMetricFamily(
            f"{p}_jwks_key_lookups", "Signing-key lookups by kid", labels=["result"]
        )
        lookups.add_metric(["hit"], keys.stats.key_hits)
        lookups.add_metric(["miss"], keys.stats.key_misses)
        yield lookups
        yield GaugeMetricFamily(f"{p}_jwks_keys", "Keys in the JWKS cache", value=len(keys.kids))
        if tokens is not None:
            cached = CounterMetricFamily(
                f"{p}_verified_token_cache", "Verified-token cache", labels=["result"]
            )
            cached.add_metric(["hit"], tokens.hits)
            cached.add_metric(["miss"], tokens.misses)
            yield cached
        if self._client.revocations is not None:
            yield from _revocation_metrics(p, self._client.revocations)


def _revocation_metrics(
    p: str, feed: RevocationFeed
) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
    yield GaugeMetricFamily(
        f"{p}_revocation_feed_lag_seconds",
        "0 while following the revocation feed, else seconds since its last successful poll",
        value=feed.lag_seconds,
    )
    yield GaugeMetricFamily(
        f"{p}_revocation_feed_entries", "Revocations held in memory", value=len(feed.index)
    )
    reconnects = CounterMetricFamily(
        f"{p}_revocation_feed_reconnects", "Failed revocation-feed polls (each then backs off)"
    )
    reconnects.add_metric([], feed.stats.reconnects)
    yield reconnects
    reloads = CounterMetricFamily(f"{p}_revocation_feed_reloads", "Snapshots taken (after a 410)")
    reloads.add_metric([], feed.stats.reloads)
    yield reloads
    refused = CounterMetricFamily(f"{p}_revoked_tokens_refused", "Tokens the feed had revoked")
    refused.add_metric([], feed.stats.refused)
    yield refused
