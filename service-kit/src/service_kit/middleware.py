"""Pure ASGI middleware: the request-body size limit."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.problems import PayloadTooLarge, problem_response


class BodySizeLimit:
    """Refuses a body over `limit` bytes with 413: by Content-Length before reading, or as
    soon as a streamed (chunked) body passes the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and not length.isdigit():
            refusal = problem_response(
                400, "bad_request", "Bad Content-Length", "Content-Length is not a number"
            )
            await refusal(scope, receive, send)
            return
        if length is not None and int(length) > self.limit:
            too_large = f"The request body is larger than {self.limit} bytes"
            refusal = problem_response(
                413, "payload_too_large", "Request body too large", too_large
            )
            await refusal(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge(self.limit)
            return message

        await self.app(scope, limited_receive, send)
