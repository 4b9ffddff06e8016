"""Timestamps: always timezone-aware UTC, read from one injected clock.

Whatever decides by time (sessions, links, codes, second-step tokens) takes a `Clock`
from the registry, so tests move time by advancing a clock instead of sleeping.
"""

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
