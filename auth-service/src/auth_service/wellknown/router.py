"""Discovery (OpenID Connect Discovery / RFC 8414) and the JWKS (RFC 7517)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from auth_service.deps import KeysDep, SettingsDep
from auth_service.keys.keyring import ACCESS_ALGORITHM

router = APIRouter(prefix="/.well-known", tags=["discovery"])

# Verifiers may cache this long; a new key is published well before it signs (see keys).
JWKS_MAX_AGE = 300


class JwkSetResponse(JSONResponse):
    media_type = "application/jwk-set+json"  # RFC 7517 §8.5.1, and so documented


@router.get("/jwks.json", response_class=JwkSetResponse)
async def jwks(keys: KeysDep) -> JwkSetResponse:
    return JwkSetResponse(
        keys.ring.jwks(keys.clock.now()),
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"},
    )


_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

# What an id_token or userinfo can say about a person, and nothing else: Gatehouse keeps no
# name, picture or locale, so scope `profile` adds no claim (docs/openid-connect.md).
CLAIMS_SUPPORTED = (
    "iss",
    "sub",
    "aud",
    "azp",
    "exp",
    "iat",
    "auth_time",
    "amr",
    "sid",
    "nonce",
    "at_hash",
    "email",
    "email_verified",
)


@router.get("/openid-configuration")
async def openid_configuration(settings: SettingsDep) -> dict[str, Any]:
    """What works, only (OpenID Connect Discovery 1.0, RFC 8414)."""
    issuer = settings.issuer
    registration = (
        {}
        if settings.client_registration == "off"
        else {"registration_endpoint": f"{issuer}/oauth/register"}
    )
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "end_session_endpoint": f"{issuer}/oauth/logout",
        "pushed_authorization_request_endpoint": f"{issuer}/oauth/par",
        **registration,
        "require_pushed_authorization_requests": False,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [*_AUTH_METHODS, "none"],
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "revocation_endpoint_auth_methods_supported": _AUTH_METHODS,
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "introspection_endpoint_auth_methods_supported": _AUTH_METHODS,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ACCESS_ALGORITHM],
        "access_token_signing_alg_values_supported": [ACCESS_ALGORITHM],
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": ["openid", "profile", "email", "offline_access", "admin"],
        "claims_supported": list(CLAIMS_SUPPORTED),
    }
