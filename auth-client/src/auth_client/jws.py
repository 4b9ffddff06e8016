"""A compact JWS (RFC 7515 §7.1) taken apart once: header, claims, signing input, signature.
Shared by the access-token verifier here and the auth service's refresh tokens."""

from __future__ import annotations

import base64
import json
from typing import Any


class MalformedJWS(ValueError):
    """Not three base64url segments of JSON, JSON and bytes."""


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2), the one spelling `b64url_decode` accepts."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    """base64url without padding (RFC 7515 §2); any other character is an error, not skipped
    (a token string has exactly one spelling)."""
    if "=" in segment or "+" in segment or "/" in segment:  # padding, or base64's own alphabet
        raise MalformedJWS("not base64url")
    return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)


def parse_compact(token: str) -> tuple[Any, Any, bytes, bytes]:
    """(header, claims, signing input, signature), each decoded once; MalformedJWS if not."""
    try:
        signing_input, _, signature = token.rpartition(".")
        header_segment, dot, claims_segment = signing_input.partition(".")
        if not dot:
            raise MalformedJWS("not three segments")
        return (
            json.loads(b64url_decode(header_segment)),
            json.loads(b64url_decode(claims_segment)),
            signing_input.encode("ascii"),
            b64url_decode(signature),
        )
    except (ValueError, RecursionError) as exc:  # binascii, JSON and Unicode errors included
        raise MalformedJWS(str(exc)) from exc
