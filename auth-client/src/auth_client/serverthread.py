"""`ServerThread`: any ASGI app under uvicorn in a background thread, for tests."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Literal

import uvicorn
from starlette.types import ASGIApp


class ServerThread:
    """Serves an ASGI app with uvicorn in a background thread on a free 127.0.0.1 port.

    The port is bound at construction, so `url` is known before the app is built (an app
    whose settings must name its own URL passes it to `start(app)` instead).
    """

    def __init__(
        self, app: ASGIApp | None = None, *, lifespan: Literal["auto", "on", "off"] = "auto"
    ) -> None:
        self.app = app
        self._lifespan = lifespan
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: ASGIApp | None = None, timeout: float = 30.0) -> ServerThread:
        self.app = app or self.app
        if self.app is None:
            raise ValueError("ServerThread.start needs an app")
        config = uvicorn.Config(
            self.app, lifespan=self._lifespan, log_level="warning", access_log=False
        )
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop serving: from now on connections to the port are refused."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
