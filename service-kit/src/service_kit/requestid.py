"""The request being served, as context: its id and the client's address.

Set by `service_kit.observability.RequestObservability`; read by log lines, audit records,
and the calls a service makes on behalf of the request: auth-client's
`ClientCredentialsAuth(..., request_id=request_id_var.get)` forwards the id as
`X-Request-ID`.
"""

from __future__ import annotations

import contextvars

REQUEST_ID_HEADER = "X-Request-ID"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "client_ip", default=None
)
