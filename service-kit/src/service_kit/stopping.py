"""Telling a service's own code that the process was asked to stop, before the server waits.

On SIGTERM or SIGINT uvicorn stops accepting connections, waits up to its graceful timeout
for the requests in flight, then cancels them, and only after that runs the lifespan's
shutdown. A request that waits by design (the revocation feed's long-poll) would hold the
stop for the whole timeout and then end as a cancelled request: a 500 and a traceback in the
log. `notice_stop` chains a callback in front of the handlers the server installed, so such
a request can answer at once and let the server stop cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def notice_stop(on_stop: Callable[[], None]) -> Iterator[None]:
    """While inside: a stop signal is passed on to whatever handled it before (the server's
    own handler), and the first one also schedules `on_stop` on the running loop. Outside
    the main thread, where no signal handler can be installed, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    noticed = False

    def chained(previous: Any) -> Callable[[int, FrameType | None], None]:
        def handler(signum: int, frame: FrameType | None) -> None:
            nonlocal noticed
            if not noticed:
                noticed = True
                # A signal handler runs between two bytecodes of the loop's own thread:
                # hand the callback to the loop rather than run it in the middle of it.
                loop.call_soon_threadsafe(on_stop)
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:  # what the signal would have done: do it
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        return handler

    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig, handler in previous.items():
        signal.signal(sig, chained(handler))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
