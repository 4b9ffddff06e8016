"""The client's address: X-Forwarded-For is believed only when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Request, trusted: list[Network]) -> str:
    peer = request.client.host if request.client else ""
    if not _trusted(peer, trusted):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    # Walk from the right: the last hop a trusted proxy appended is the first we can believe.
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _trusted(hop, trusted):
            return hop
    return peer
