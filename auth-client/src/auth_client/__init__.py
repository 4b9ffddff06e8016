"""Gatehouse auth client: verify access tokens locally and call services with service tokens.

FastAPI dependencies live in `auth_client.fastapi` (extra `auth-client[fastapi]`), Prometheus
metrics in `auth_client.metrics` (extra `auth-client[metrics]`); a local issuer for tests
lives in `auth_client.testing` (extra `auth-client[testing]`).
"""

from auth_client.client import AuthClient
from auth_client.client_credentials import ClientCredentialsAuth
from auth_client.errors import (
    AuthClientError,
    AuthError,
    DiscoveryError,
    InsufficientScopeError,
    InvalidTokenError,
    KeysUnavailableError,
    MissingTokenError,
    RevocationsStaleError,
    TokenEndpointError,
    TokenExpiredError,
)
from auth_client.jwks import JWKSCache, VerificationKey
from auth_client.principal import Principal
from auth_client.revocations import RevocationFeed
from auth_client.token_cache import VerifiedTokenCache
from auth_client.verifier import TokenVerifier

__all__ = [
    "AuthClient",
    "AuthClientError",
    "AuthError",
    "ClientCredentialsAuth",
    "DiscoveryError",
    "InsufficientScopeError",
    "InvalidTokenError",
    "JWKSCache",
    "KeysUnavailableError",
    "MissingTokenError",
    "Principal",
    "RevocationFeed",
    "RevocationsStaleError",
    "TokenEndpointError",
    "TokenExpiredError",
    "TokenVerifier",
    "VerificationKey",
    "VerifiedTokenCache",
]
