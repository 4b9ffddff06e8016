"""Who a verified access token speaks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from auth_client.errors import InvalidTokenError


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidTokenError(f"The claim '{name}' must be a string")


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    value = claims.get("scope", "")
    # RFC 9068 says a space-separated string; some issuers send a list, which is just as clear.
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise InvalidTokenError("The claim 'scope' must be a space-separated string")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a user (with `sid` and `email`) or a service client (with neither)."""

    sub: str
    scopes: frozenset[str] = frozenset()
    sid: str | None = None
    client_id: str | None = None
    email: str | None = None
    # Every verified claim, read-only; excluded from equality, hashing and repr.
    claims: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False, repr=False
    )

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidTokenError("The claim 'sub' is missing")
        return cls(
            sub=sub,
            scopes=_scopes(claims),
            sid=_optional_str(claims, "sid"),
            client_id=_optional_str(claims, "client_id"),
            email=_optional_str(claims, "email"),
            claims=MappingProxyType(dict(claims)),
        )

    @property
    def scope(self) -> str:
        """The scopes as the space-separated string of the `scope` claim (sorted)."""
        return " ".join(sorted(self.scopes))

    def has_scopes(self, *scopes: str) -> bool:
        return self.scopes.issuperset(scopes)
