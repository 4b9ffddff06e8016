"""The library's errors.

`AuthError` and its subclasses are the answers a protected API gives a caller: each carries
the HTTP status, a stable machine `code` and, for 401/403, the RFC 6750 `error` attribute.
They know nothing of any web framework; `auth_client.fastapi` renders them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

# RFC 6750 §3: error_description and scope use printable ASCII without `"` and `\`.
_UNSAFE_IN_QUOTED = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


def _quoted(value: str) -> str:
    return '"' + _UNSAFE_IN_QUOTED.sub("", value) + '"'


class AuthClientError(Exception):
    """Base of every error this library raises."""


class AuthError(AuthClientError):
    """A request cannot be served as the caller asked; `status_code` says how to answer."""

    status_code: ClassVar[int] = 401
    code: ClassVar[str] = "unauthorized"
    title: ClassVar[str] = "Unauthorized"
    # The RFC 6750 error code for WWW-Authenticate; None when the caller sent no token at all.
    bearer_error: ClassVar[str | None] = None

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)

    def bearer_attributes(self) -> dict[str, str]:
        """The WWW-Authenticate attributes beyond `realm` (RFC 6750 §3)."""
        if self.bearer_error is None:
            return {}
        return {"error": self.bearer_error, "error_description": self.detail}

    def www_authenticate(self, realm: str) -> str:
        attributes = {"realm": realm, **self.bearer_attributes()}
        return "Bearer " + ", ".join(
            f"{name}={_quoted(value)}" for name, value in attributes.items()
        )

    def headers(self, realm: str) -> dict[str, str]:
        return {"WWW-Authenticate": self.www_authenticate(realm)}


class MissingTokenError(AuthError):
    """No bearer token was sent: RFC 6750 §3.1 says to answer without an error code."""

    code, title = "missing_token", "An access token is required"


class InvalidTokenError(AuthError):
    """The token is malformed, forged, expired, or meant for someone else."""

    code, title, bearer_error = "invalid_token", "The access token is not valid", "invalid_token"


class TokenExpiredError(InvalidTokenError):
    def __init__(self) -> None:
        super().__init__("The access token has expired")


class InsufficientScopeError(AuthError):
    """The token is valid but lacks the scopes the operation needs."""

    status_code = 403
    code, title, bearer_error = (
        "insufficient_scope",
        "The token lacks a required scope",
        "insufficient_scope",
    )

    def __init__(self, alternatives: Iterable[frozenset[str]]) -> None:
        self.alternatives = tuple(alternatives)
        described = " or ".join(" ".join(sorted(scopes)) for scopes in self.alternatives)
        super().__init__(f"This needs the scope {described}")

    @property
    def scope(self) -> str:
        # The union satisfies every alternative, so it is a correct hint of what to ask for.
        return " ".join(sorted(frozenset().union(*self.alternatives)))

    def bearer_attributes(self) -> dict[str, str]:
        return {**super().bearer_attributes(), "scope": self.scope}


class KeysUnavailableError(AuthError):
    """No verification key is cached and the issuer's JWKS cannot be fetched: retry later."""

    status_code = 503
    code, title = "keys_unavailable", "Tokens cannot be checked right now"

    def headers(self, realm: str) -> dict[str, str]:
        return {"Retry-After": "5"}


class RevocationsStaleError(AuthError):
    """The revocation feed has been out of reach longer than `fail_closed_after`: a token
    cannot be known not to be revoked, so none is accepted until the feed is back."""

    status_code = 503
    code, title = "revocations_stale", "Revocations cannot be checked right now"

    def headers(self, realm: str) -> dict[str, str]:
        return {"Retry-After": "5"}


class DiscoveryError(AuthClientError):
    """The issuer's discovery document is unreachable or not what OpenID Connect Discovery says."""


class TokenEndpointError(AuthClientError):
    """The token endpoint refused to issue a token (RFC 6749 §5.2) or answered nonsense."""

    def __init__(self, status_code: int, error: str, description: str | None = None) -> None:
        self.status_code = status_code
        self.error = error
        self.description = description
        message = f"token endpoint answered {status_code} {error}"
        super().__init__(f"{message}: {description}" if description else message)
