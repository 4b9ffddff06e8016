"""Prometheus metrics of the auth service, in a registry of the app's own."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from service_kit.observability import HttpMetrics


class KeyAgeCollector(Collector):
    """Key ages are read at scrape time from the current key ring."""

    def __init__(self, ages: Callable[[], Iterable[tuple[str, str, float]]]) -> None:
        self._ages = ages

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "gatehouse_signing_key_age_seconds",
            "Age of each published signing key",
            labels=["kid", "state"],
        )
        for kid, state, age in self._ages():
            family.add_metric([kid, state], age)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http = HttpMetrics(self.registry)
        self.refresh_outcomes = Counter(
            "gatehouse_refresh_outcomes", "Refresh outcomes", ["outcome"], registry=self.registry
        )
        self.logins = Counter(
            "gatehouse_logins", "Log-in attempts", ["result"], registry=self.registry
        )
        self.rate_limited = Counter(
            "gatehouse_rate_limited",
            "Requests refused by a rate limit",
            ["limit"],
            registry=self.registry,
        )
        self.login_delays = Counter(
            "gatehouse_login_delays",
            "Log-in attempts slowed down by the per-account delay",
            registry=self.registry,
        )
        self.account_flows = Counter(
            "gatehouse_account_flows",
            "Account lifecycle requests (password, email, re-authentication) by outcome",
            ["flow", "outcome"],
            registry=self.registry,
        )
        self.mails = Counter(
            "gatehouse_mail_deliveries",
            "Mail delivery attempts by result (sent, failed: retried later, given_up)",
            ["result"],
            registry=self.registry,
        )
        self.dependency_errors = Counter(
            "gatehouse_dependency_unavailable",
            "Requests failed closed: a dependency was down",
            ["dependency"],
            registry=self.registry,
        )

    def watch_keys(self, ages: Callable[[], Iterable[tuple[str, str, float]]]) -> None:
        self.registry.register(KeyAgeCollector(ages))
