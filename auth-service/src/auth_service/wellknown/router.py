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


@router.get("/openid-configuration")
async def openid_configuration(settings: SettingsDep) -> dict[str, Any]:
    """What works, only: no authorization endpoint yet, so no response type and no id_token."""
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/oauth/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "subject_types_supported": ["public"],
        "access_token_signing_alg_values_supported": [ACCESS_ALGORITHM],
        "scopes_supported": ["openid", "profile", "email", "admin"],
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nbf",
            "jti",
            "client_id",
            "scope",
            "sid",
            "email",
        ],
    }
