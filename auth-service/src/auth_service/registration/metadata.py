"""RFC 7591 client metadata: what an application may register for itself, and the
answers it gets (§3.2.1, §3.2.2).

A registered client is never first-party (its users see the consent page), never a
service client (`client_credentials`), and its scopes are among the OpenID ones. With
open registration it must also be public (`none`) and answer at `https://` or at a
loopback address: no secret to keep, and no custom scheme another app could claim.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from auth_service.clients.apps import AppOptions, check_uri
from auth_service.clients.models import OAuthClient
from auth_service.clients.schemas import RedirectUri
from auth_service.errors import ValidationFailed

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
GRANTS = ("authorization_code", "refresh_token")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
_Text = Annotated[str, StringConstraints(max_length=200)]


class ClientMetadata(BaseModel):
    """The metadata Gatehouse reads (RFC 7591 §2, OIDC RP-Initiated Logout §3.1); any other
    member is ignored, as §2 asks."""

    model_config = ConfigDict(extra="ignore")

    redirect_uris: list[RedirectUri] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[RedirectUri] = Field(default_factory=list, max_length=20)
    client_name: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"
    )
    grant_types: list[_Text] = Field(default_factory=lambda: ["authorization_code"], max_length=5)
    response_types: list[_Text] = Field(default_factory=lambda: ["code"], max_length=5)
    scope: str | None = Field(default=None, max_length=1000)
    token_endpoint_auth_method: _Text | None = None


class MetadataRefused(Exception):
    """An RFC 7591 §3.2.2 error: `invalid_redirect_uri` or `invalid_client_metadata`."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def parsed(document: Any) -> ClientMetadata:
    if not isinstance(document, dict):
        raise MetadataRefused("invalid_client_metadata", "The body must be a JSON object")
    try:
        return ClientMetadata.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "body"
        error = "invalid_redirect_uri" if field == "redirect_uris" else "invalid_client_metadata"
        raise MetadataRefused(error, f"{field}: {first['msg']}") from exc


def _uris(name: str, uris: list[str], *, open_mode: bool) -> list[str]:
    error = "invalid_redirect_uri" if name == "redirect_uris" else "invalid_client_metadata"
    for uri in uris:
        try:
            check_uri(name, uri)
        except ValidationFailed as exc:
            raise MetadataRefused(error, exc.detail or uri) from exc
        if open_mode and urlsplit(uri).scheme not in ("https", "http"):
            raise MetadataRefused(error, f"'{uri}': open registration takes https or loopback")
    return uris


def _scopes(meta: ClientMetadata, grants: list[str]) -> list[str]:
    default = "openid profile email" + (" offline_access" if "refresh_token" in grants else "")
    asked = (default if meta.scope is None else meta.scope).split()
    unknown = [scope for scope in asked if scope not in OIDC_SCOPES]
    if unknown:
        raise MetadataRefused("invalid_client_metadata", f"scope: not offered: {unknown[0]}")
    if "refresh_token" in grants and "offline_access" not in asked:
        raise MetadataRefused(
            "invalid_client_metadata", "scope: the refresh_token grant needs offline_access"
        )
    return [scope for scope in OIDC_SCOPES if scope in asked]


def options_of(meta: ClientMetadata, *, open_mode: bool) -> tuple[str, list[str], AppOptions]:
    """(name, scopes, options) of a registration, or MetadataRefused."""
    if set(meta.response_types) != {"code"}:
        raise MetadataRefused("invalid_client_metadata", "response_types: only code")
    grants = sorted(set(meta.grant_types))
    if "client_credentials" in grants:
        refusal = "grant_types: a registered client cannot use client_credentials"
        raise MetadataRefused("invalid_client_metadata", refusal)
    if not set(grants) <= set(GRANTS) or "authorization_code" not in grants:
        raise MetadataRefused("invalid_client_metadata", f"grant_types: among {list(GRANTS)}")
    method = meta.token_endpoint_auth_method or ("none" if open_mode else "client_secret_basic")
    if method not in AUTH_METHODS:
        raise MetadataRefused("invalid_client_metadata", f"token_endpoint_auth_method: {method}")
    if open_mode and method != "none":
        refusal = "token_endpoint_auth_method: open registration takes public clients only (none)"
        raise MetadataRefused("invalid_client_metadata", refusal)
    if not meta.redirect_uris:
        raise MetadataRefused("invalid_redirect_uri", "redirect_uris: at least one is needed")
    redirects = _uris("redirect_uris", meta.redirect_uris, open_mode=open_mode)
    logouts = meta.post_logout_redirect_uris
    logouts = _uris("post_logout_redirect_uris", logouts, open_mode=open_mode)
    name = meta.client_name or urlsplit(redirects[0]).hostname or "Application"
    options = AppOptions(
        redirect_uris=redirects,
        post_logout_redirect_uris=logouts,
        grant_types=grants,
        token_endpoint_auth_method=method,
        first_party=False,
        dynamically_registered=True,
    )
    return name.strip() or "Application", _scopes(meta, grants), options


def response_of(client: OAuthClient, secret: str | None) -> dict[str, Any]:
    """RFC 7591 §3.2.1: the client's id (and secret, which never expires) and what was
    registered, as it was stored."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
    }
    if secret is not None:
        body |= {"client_secret": secret, "client_secret_expires_at": 0}
    return body | {
        "client_name": client.name,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types,
        "response_types": ["code"],
        "scope": " ".join(scope for scope in OIDC_SCOPES if scope in client.scopes),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
    }


class RegisteredClient(BaseModel):
    """The 201 answer, for the OpenAPI document."""

    client_id: str
    client_id_issued_at: int
    client_secret: str | None = Field(default=None, description="Confidential clients only")
    client_secret_expires_at: int | None = Field(default=None, description="0: never")
    client_name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    response_types: list[str]
    scope: str
    token_endpoint_auth_method: str
