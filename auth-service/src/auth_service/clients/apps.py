"""What an application client registers (redirect URIs, grants, auth method) and the
rules those must follow; the authorization endpoint and the token endpoint read it back
through `AppClient`."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients import repository
from auth_service.errors import ValidationFailed

GRANTS = frozenset({"authorization_code", "refresh_token", "client_credentials"})
AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post", "none"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, kw_only=True)
class AppOptions:
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    grant_types: list[str] = field(default_factory=lambda: ["client_credentials"])
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 (a method name)
    first_party: bool = False
    require_pushed_authorization_requests: bool = False
    # Registered by the application itself (RFC 7591): never first-party.
    dynamically_registered: bool = False

    @property
    def public(self) -> bool:
        return self.token_endpoint_auth_method == "none"  # noqa: S105 (a method name)


def check_uri(name: str, uri: str) -> str:
    """An absolute URI without a fragment (RFC 6749 §3.1.2); plain http only for loopback."""
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or "#" in uri:
        raise ValidationFailed(name, f"'{uri}' must be absolute, without a fragment")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise ValidationFailed(name, f"'{uri}' has no host")
    # The host as parsed (`[::1]` with or without a port), and no user part to hide it behind.
    loopback = parts.hostname in LOOPBACK_HOSTS and parts.username is None
    if parts.scheme == "http" and not loopback:
        raise ValidationFailed(name, f"'{uri}': plain http is only for loopback addresses")
    return uri


def checked(options: AppOptions) -> AppOptions:
    grants = sorted(set(options.grant_types))
    if not grants or not set(grants) <= GRANTS:
        raise ValidationFailed("grant_types", f"grant types are among {sorted(GRANTS)}")
    if options.token_endpoint_auth_method not in AUTH_METHODS:
        raise ValidationFailed("token_endpoint_auth_method", f"one of {sorted(AUTH_METHODS)}")
    if options.dynamically_registered and options.first_party:
        raise ValidationFailed("first_party", "a self-registered client is never first-party")
    if options.public and "client_credentials" in grants:
        raise ValidationFailed("grant_types", "a public client cannot use client_credentials")
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise ValidationFailed("grant_types", "refresh_token comes with authorization_code")
    if "authorization_code" in grants and not options.redirect_uris:
        raise ValidationFailed("redirect_uris", "authorization_code needs a redirect URI")
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        for uri in getattr(options, name):
            check_uri(name, uri)
    return AppOptions(
        redirect_uris=list(dict.fromkeys(options.redirect_uris)),
        post_logout_redirect_uris=list(dict.fromkeys(options.post_logout_redirect_uris)),
        grant_types=grants,
        token_endpoint_auth_method=options.token_endpoint_auth_method,
        first_party=options.first_party,
        require_pushed_authorization_requests=options.require_pushed_authorization_requests,
        dynamically_registered=options.dynamically_registered,
    )


@dataclass(frozen=True)
class AppClient:
    """A client as the authorization and token endpoints see it."""

    client_id: str
    name: str
    scopes: list[str]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    auth_method: str
    first_party: bool
    require_par: bool
    secret_hash: str | None
    registered: bool = False  # by itself (RFC 7591): its scopes are only those it registered


async def app_client(db: AsyncSession, client_id: str) -> AppClient | None:
    if len(client_id) > 64 or "\x00" in client_id:
        return None
    row = await repository.app_row(db, client_id)
    if row is None:
        return None
    return AppClient(
        row[0],
        row[1],
        list(row[2]),
        list(row[3]),
        list(row[4]),
        list(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
    )
