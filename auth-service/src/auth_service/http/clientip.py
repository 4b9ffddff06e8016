"""The client's address: X-Forwarded-For is believed only when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress

from service_kit.observability import Network, forwarded_client_ip
from starlette.requests import Request

__all__ = ["IPV6_PREFIX", "Network", "address_key", "client_ip"]

# One IPv6 customer usually gets a whole /64 (RFC 6177): counting single addresses in it
# would give an attacker 2^64 fresh "addresses". Traefik groups the same way (ipv6Subnet).
IPV6_PREFIX = 64


def client_ip(request: Request, trusted: list[Network]) -> str:
    return forwarded_client_ip(request.scope, trusted)


def address_key(ip: str) -> str:
    """What per-address limits count: an IPv4 address, or the /64 an IPv6 address is in."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip  # not an address (a test client's name): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
