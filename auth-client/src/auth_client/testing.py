"""A local issuer for tests of services that use this library (extra `auth-client[testing]`).

`LocalIssuer` holds RSA keys, mints access tokens like the Gatehouse auth service does, and
serves discovery, JWKS and a client-credentials token endpoint as a Starlette app that counts
what it is asked. `ServerThread` serves any ASGI app under uvicorn on a free loopback port.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt
from jose.backends.base import Key
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auth_client.client_credentials import basic_client_auth
from auth_client.discovery import WELL_KNOWN_PATH
from auth_client.serverthread import ServerThread as ServerThread  # re-exported


class ManualClock:
    """A clock that moves only when told to: for the `clock=` parameters of this library."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    signer: Key = field(repr=False)

    @classmethod
    def generate(cls, kid: str | None = None, bits: int = 2048) -> SigningKey:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(kid or uuid.uuid4().hex, private_key, jwk.construct(pem, "RS256"))

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk_dict = jwk.construct(self.public_pem, "RS256").to_dict()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": jwk_dict["n"],
            "e": jwk_dict["e"],
        }


@dataclass
class RegisteredClient:
    secret: str
    scopes: frozenset[str]


class LocalIssuer:
    """An issuer in a box. Set `issuer` to the URL it is served at before minting tokens."""

    def __init__(
        self,
        issuer: str = "http://issuer.test",
        audience: str = "resource-service",
        *,
        signing_key: SigningKey | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.signing_key = signing_key or SigningKey.generate()
        self.published: dict[str, SigningKey] = {self.signing_key.kid: self.signing_key}
        self.clients: dict[str, RegisteredClient] = {}
        self.cache_control = "public, max-age=300"
        self.token_ttl = 900
        self.available = True  # False: every endpoint answers 503, as an issuer that is down
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self.token_requests = 0
        self.app = Starlette(
            routes=[
                Route(WELL_KNOWN_PATH, self._discovery),
                Route("/.well-known/jwks.json", self._jwks),
                Route("/oauth/token", self._token, methods=["POST"]),
            ]
        )

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/oauth/token"

    # --- keys --------------------------------------------------------------------------------

    def publish_new_key(self, key: SigningKey | None = None) -> SigningKey:
        """Publish a new key in the JWKS without signing with it yet (a rotation's first step)."""
        key = key or SigningKey.generate()
        self.published[key.kid] = key
        return key

    def rotate(self, key: SigningKey | None = None) -> SigningKey:
        """Publish a new key and sign with it from now on."""
        self.signing_key = self.publish_new_key(key)
        return self.signing_key

    def withdraw(self, kid: str) -> None:
        self.published.pop(kid, None)

    # --- tokens ------------------------------------------------------------------------------

    def claims(
        self, sub: str = "user-1", scope: str | Iterable[str] = "", **extra: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        # A list becomes the usual string; anything else goes in as is, to test malformed claims.
        scope_text = " ".join(scope) if isinstance(scope, list | tuple | set | frozenset) else scope
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.token_ttl,
            "jti": secrets.token_urlsafe(12),
            "client_id": "gatehouse-web",
            "scope": scope_text,
        }
        claims.update(extra)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(
        self,
        sub: str = "user-1",
        scope: str | Iterable[str] = "",
        *,
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A signed access token; a claim given as None is left out."""
        key = key or self.signing_key
        header = {"kid": key.kid, "typ": "at+jwt", **(headers or {})}
        return jwt.encode(
            self.claims(sub, scope, **claims), key.signer, algorithm="RS256", headers=header
        )

    def mint_user(
        self, user_id: str | None = None, email: str | None = None, scope: str = ""
    ) -> str:
        user_id = user_id or str(uuid.uuid4())
        return self.mint(
            user_id, scope, sid=str(uuid.uuid4()), email=email or f"{user_id[:8]}@example.com"
        )

    def register_client(self, scopes: Iterable[str]) -> tuple[str, str]:
        client_id, secret = f"svc-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(24)
        self.clients[client_id] = RegisteredClient(secret, frozenset(scopes))
        return client_id, secret

    # --- endpoints ---------------------------------------------------------------------------

    def _unavailable(self) -> JSONResponse:
        return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)

    async def _discovery(self, _: Request) -> JSONResponse:
        self.discovery_fetches += 1
        if not self.available:
            return self._unavailable()
        return JSONResponse(
            {
                "issuer": self.issuer,
                "jwks_uri": self.jwks_url,
                "token_endpoint": self.token_endpoint,
                "id_token_signing_alg_values_supported": ["RS256"],
                "grant_types_supported": ["client_credentials"],
            }
        )

    async def _jwks(self, _: Request) -> JSONResponse:
        self.jwks_fetches += 1
        if not self.available:
            return self._unavailable()
        keys = [key.public_jwk for key in self.published.values()]
        return JSONResponse({"keys": keys}, headers={"Cache-Control": self.cache_control})

    def _authenticated_client(self, authorization: str) -> str | None:
        for client_id, client in self.clients.items():
            expected = basic_client_auth(client_id, client.secret)
            if secrets.compare_digest(authorization.encode(), expected.encode()):
                return client_id
        return None

    async def _token(self, request: Request) -> JSONResponse:
        self.token_requests += 1
        if not self.available:
            return self._unavailable()
        # Parsed by hand: Starlette's form parser needs python-multipart, a dependency for one line.
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
        client_id = self._authenticated_client(request.headers.get("authorization", ""))
        if client_id is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        granted = self.clients[client_id].scopes
        asked = form.get("scope", "").split() or sorted(granted)
        if not granted.issuperset(asked):
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        token = self.mint(client_id, asked, client_id=client_id)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        )
