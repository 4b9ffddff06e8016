"""Ctrl-C, SIGTERM and SIGHUP in the launcher: one `Interrupted` in the main thread, raised
only where the stack is in a state it can stop from.

Python runs a signal handler between any two bytecodes of the main thread: raised from the
handler, the exception could land between starting a process and recording it (a process
nobody stops), or in the middle of stopping the stack. Code that must not be cut there
runs under `held()` (the exception waits till the block ends) or `shielded()` (the stack
is stopping anyway: the signal is noted, never raised). Without `install()`, as when a
test drives a `Stack` itself, all of this does nothing.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(Exception):
    """The first Ctrl-C, SIGTERM or SIGHUP; its name is the exception's message."""


class _State:
    pending: str | None = None  # the first signal's name
    delivered = False  # raised already (or swallowed by a shield): never again
    depth = 0  # nested held() / shielded() blocks


def install() -> None:
    for sig in SIGNALS:
        signal.signal(sig, _on_signal)


def reset() -> None:
    """Forget a signal (for a new run in the same process, as tests do)."""
    _State.pending, _State.delivered, _State.depth = None, False, 0


def received() -> str | None:
    """The name of the first signal received, if any."""
    return _State.pending


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if _State.pending is not None:
        return  # only the first counts: a second Ctrl-C must not cut the stop short
    _State.pending = signal.Signals(signum).name
    _deliver()


def _deliver() -> None:
    if _State.pending is None or _State.delivered or _State.depth:
        return
    _State.delivered = True
    raise Interrupted(_State.pending)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Run the block whole; a signal that arrives meanwhile is raised when it ends."""
    _State.depth += 1
    try:
        yield
    finally:
        _State.depth -= 1
    _deliver()


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run the block whole and swallow a signal that arrives meanwhile: for stopping."""
    _State.depth += 1
    try:
        yield
    finally:
        _State.depth -= 1
        if _State.pending is not None:
            _State.delivered = True
