"""Every refresh ends in one named outcome, logged (and counted, where metrics are on)."""

from __future__ import annotations

import logging
from enum import StrEnum

logger = logging.getLogger("auth_service.refresh")


class RefreshOutcome(StrEnum):
    ROTATED = "rotated"
    GRACE_REPLAY = "grace_replay"
    REUSE_REVOKED = "reuse_revoked"
    EXPIRED = "expired"
    LOGGED_OUT = "logged_out"  # the session was ended by log-out or revocation
    INVALID = "invalid"  # no cookie, a forged or malformed token


def record(outcome: RefreshOutcome, sid: str | None) -> None:
    level = logging.WARNING if outcome is RefreshOutcome.REUSE_REVOKED else logging.INFO
    logger.log(level, "refresh outcome=%s sid=%s", outcome.value, sid or "-")
