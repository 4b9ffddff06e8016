"""Request ids, the access log line and the HTTP metrics, in one pure ASGI middleware."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth_service.auth.clientip import Network, client_ip
from auth_service.observability.logs import client_ip_var, request_id_var
from auth_service.observability.metrics import Metrics

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")

logger = logging.getLogger("gatehouse.access")


def _route_of(scope: Scope) -> str:
    """The matched route's template, never the raw path: metric labels stay bounded."""
    # FastAPI keeps the full template (prefixes of included routers too) in its scope;
    # the route object alone knows only the path inside its own router.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestObservability:
    def __init__(
        self, app: ASGIApp, metrics: Metrics, trusted: list[Network], access_log: bool = True
    ) -> None:
        self.app, self.metrics, self.trusted, self.access_log = app, metrics, trusted, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex.encode()
        token = request_id_var.set(request_id.decode())
        ip = client_ip(Request(scope), self.trusted)
        ip_token = client_ip_var.set(ip)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route, method = _route_of(scope), scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            if self.access_log:
                logger.info(
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": ip,
                    },
                )
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
