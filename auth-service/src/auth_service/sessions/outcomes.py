"""Every refresh ends in one named outcome, logged (and counted, where metrics are on):
as fields of the request's access line when there is one (one line per refresh), on a
line of its own otherwise, and always for a reused token (a warning)."""

from __future__ import annotations

import logging
from enum import StrEnum

from service_kit.observability import access_fields

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
    fields = access_fields.get()
    if fields is not None and outcome is not RefreshOutcome.REUSE_REVOKED:
        fields.update(outcome=outcome.value, sid=sid or "-")
        return
    level = logging.WARNING if outcome is RefreshOutcome.REUSE_REVOKED else logging.INFO
    logger.log(
        level,
        "refresh outcome=%s sid=%s",
        outcome.value,
        sid or "-",
        extra={"outcome": outcome.value, "sid": sid},
    )
