"""OpenID Connect Discovery: where the issuer publishes its keys and its token endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from auth_client.errors import DiscoveryError

WELL_KNOWN_PATH = "/.well-known/openid-configuration"


def normalise_issuer(issuer: str) -> str:
    return issuer.rstrip("/")


def discovery_url(issuer: str) -> str:
    return normalise_issuer(issuer) + WELL_KNOWN_PATH


def describe_http_error(exc: Exception) -> str:
    """One line for a log: httpx's own message for a status error spans several."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"{exc.response.status_code} from {exc.request.url}"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    jwks_uri: str
    token_endpoint: str | None


def _url(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise DiscoveryError(f"the discovery document has no valid '{name}'")
    return value


def parse_provider_metadata(document: object, expected_issuer: str) -> ProviderMetadata:
    if not isinstance(document, dict):
        raise DiscoveryError("the discovery document is not a JSON object")
    issuer = document.get("issuer")
    # OpenID Connect Discovery §4.3: a document naming another issuer must not be used.
    if not isinstance(issuer, str) or normalise_issuer(issuer) != normalise_issuer(expected_issuer):
        raise DiscoveryError(f"the discovery document names the issuer {issuer!r}")
    token_endpoint = _url(document, "token_endpoint") if "token_endpoint" in document else None
    return ProviderMetadata(issuer, _url(document, "jwks_uri"), token_endpoint)


async def fetch_provider_metadata(http: httpx.AsyncClient, issuer: str) -> ProviderMetadata:
    try:
        response = await http.get(discovery_url(issuer), headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise DiscoveryError(f"discovery failed: {describe_http_error(exc)}") from exc
    return parse_provider_metadata(document, issuer)
