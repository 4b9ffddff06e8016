"""Request ids, access lines and Prometheus metrics for a service.

Both Gatehouse services use it:

    metrics = HttpMetrics(registry)
    app.add_middleware(RequestObservability, metrics=metrics)

The request id comes from the edge (`X-Request-ID`, when well formed) or is made here; it
is returned in the response, stamped on every log line of the request, and forwarded to
the services this one calls by auth-client's `ClientCredentialsAuth` when given
`request_id=request_id_var.get` (see `service_kit.requestid`).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.requestid import REQUEST_ID_HEADER, client_ip_var, request_id_var

__all__ = [
    "REQUEST_ID_HEADER",
    "HttpMetrics",
    "Network",
    "RequestObservability",
    "access_fields",
    "client_ip_var",
    "forwarded_client_ip",
    "request_id_var",
    "route_of",
]

_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

access_logger = logging.getLogger("gatehouse.access")
# What the request's handler adds to its access line (e.g. a refresh's outcome), so that a
# request writes one line, not two; None where no access line is written.
access_fields: ContextVar[dict[str, object] | None] = ContextVar("access_fields", default=None)
# A load balancer or an orchestrator probes every replica every few seconds: an answered
# probe is no news (it is counted in the metrics); a failing one is logged.
_PROBES = ("/healthz", "/readyz")


# --- metrics -----------------------------------------------------------------------------


class HttpMetrics:
    """Requests and latency by method, route template and status, in the given registry."""

    def __init__(self, registry: CollectorRegistry, prefix: str = "gatehouse") -> None:
        self.registry = registry
        self.requests = Counter(
            f"{prefix}_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            f"{prefix}_http_request_duration_seconds",
            "Request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )


# --- the middleware ----------------------------------------------------------------------


def route_of(scope: Scope) -> str:
    """The matched route's template, never the raw path: metric labels stay bounded."""
    # FastAPI keeps the full template (prefixes of included routers too) in its scope;
    # the route object alone knows only its path inside its own router.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def _is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_client_ip(scope: Scope, trusted: Iterable[Network]) -> str:
    """The client's address: `X-Forwarded-For` is believed only from a trusted proxy."""
    peer = _peer(scope)
    networks = list(trusted)
    if not _is_trusted(peer, networks):
        return peer
    raw: bytes = dict(scope["headers"]).get(b"x-forwarded-for", b"")
    forwarded = raw.decode("latin-1")
    # From the right: the last hop a trusted proxy appended is the first we can believe.
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _is_trusted(hop, networks):
            return hop
    return peer


class RequestObservability:
    """Request id in and out, one JSON access line and the HTTP metrics, per request.

    `client_ip` decides the client's address (e.g. believing `X-Forwarded-For` from the
    gateway only); by default it is the peer's address.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: HttpMetrics,
        client_ip: Callable[[Scope], str] = _peer,
        access_log: bool = True,
    ) -> None:
        self.app, self.metrics, self.client_ip, self.access_log = (
            app,
            metrics,
            client_ip,
            access_log,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(_REQUEST_ID_KEY, b"")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex.encode()
        id_token = request_id_var.set(request_id.decode())
        ip = self.client_ip(scope)
        ip_token = client_ip_var.set(ip)
        fields: dict[str, object] | None = {} if self.access_log else None
        fields_token = access_fields.set(fields)  # the handler fills the dict, not the var
        status, started = 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (_REQUEST_ID_KEY, request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route, method = route_of(scope), scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            if fields is not None and not (status < 400 and route.endswith(_PROBES)):
                added = "".join(f" {key}={value}" for key, value in fields.items())
                access_logger.info(
                    "%s %s %s%s",
                    method,
                    route,
                    status,
                    added,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": ip,
                        **fields,
                    },
                )
            access_fields.reset(fields_token)
            request_id_var.reset(id_token)
            client_ip_var.reset(ip_token)
