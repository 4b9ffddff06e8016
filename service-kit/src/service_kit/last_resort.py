"""The last resort: an error nothing else handled becomes a problem+json 500."""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.observability import route_of

error_logger = logging.getLogger("gatehouse.errors")

_INTERNAL_ERROR = json.dumps(
    {
        "type": "urn:gatehouse:problem:internal_error",
        "title": "Internal error",
        "status": 500,
        "detail": "Something went wrong on our side",
        "code": "internal_error",
    }
).encode()


class LastResortErrors:
    """An error nothing else handled becomes a problem+json 500, logged once.

    Starlette's own last handler answers too, but then re-raises to the server, which
    closes the connection: a gateway reusing it fails the NEXT request with a 502. Added
    as the outermost user middleware, this one answers and keeps the connection usable.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            error_logger.exception("unhandled error on %s %s", scope["method"], route_of(scope))
            if started:
                return  # too late for an answer; the body just ends
            headers = [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
            ]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": _INTERNAL_ERROR})
