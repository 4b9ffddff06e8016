"""The client's address: X-Forwarded-For is believed only when the peer is a trusted proxy."""

from __future__ import annotations

from auth_client.observability import Network, forwarded_client_ip
from starlette.requests import Request

__all__ = ["Network", "client_ip"]


def client_ip(request: Request, trusted: list[Network]) -> str:
    return forwarded_client_ip(request.scope, trusted)
