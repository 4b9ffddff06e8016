from __future__ import annotations

import asyncio
import os
import signal

from service_kit.stopping import notice_stop


async def test_a_stop_signal_tells_the_service_then_the_handler_installed_before() -> None:
    told: list[str] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: told.append("server"))
    try:
        stopping = asyncio.Event()
        with notice_stop(lambda: (told.append("service"), stopping.set())):
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(stopping.wait(), 5)
            os.kill(os.getpid(), signal.SIGTERM)  # a second signal goes to the server alone
            await asyncio.sleep(0.05)
        assert told == ["server", "service", "server"]
        os.kill(os.getpid(), signal.SIGTERM)  # outside: the server's handler is back alone
        await asyncio.sleep(0.05)
        assert told == ["server", "service", "server", "server"]
    finally:
        signal.signal(signal.SIGTERM, previous)
