"""Every refresh ends in one named outcome, logged (and counted, where metrics are on)."""

from __future__ import annotations

import logging
from enum import StrEnum

from auth_service.observability.metrics import Metrics

logger = logging.getLogger("auth_service.refresh")


class RefreshOutcome(StrEnum):
    ROTATED = "rotated"
    GRACE_REPLAY = "grace_replay"
    REUSE_REVOKED = "reuse_revoked"
    EXPIRED = "expired"
    LOGGED_OUT = "logged_out"  # the session was ended by log-out or revocation
    INVALID = "invalid"  # no cookie, a forged or malformed token


def record(metrics: Metrics, outcome: RefreshOutcome, sid: str | None) -> None:
    metrics.refresh_outcomes.labels(outcome.value).inc()
    level = logging.WARNING if outcome is RefreshOutcome.REUSE_REVOKED else logging.INFO
    logger.log(
        level,
        "refresh outcome=%s sid=%s",
        outcome.value,
        sid or "-",
        extra={"outcome": outcome.value, "sid": sid},
    )
