from __future__ import annotations

import pytest
from auth_service.config import Settings
from cryptography.exceptions import InvalidTag
from pydantic import ValidationError

from tests.helpers import jwt_parts, sign_up

PRIVATE_RSA_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


async def test_jwks_publishes_public_parts_only_with_cache_control(client) -> None:
    response = await client.get("/api/auth/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public, max-age=")
    keys = response.json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert {"kty", "kid", "n", "e", "alg", "use"} <= set(key)
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert not PRIVATE_RSA_MEMBERS & set(key)
    assert len(key["n"]) >= 342  # base64url of a 2048-bit modulus


async def test_discovery_names_issuer_jwks_and_token_endpoint(client) -> None:
    doc = (await client.get("/api/auth/.well-known/openid-configuration")).json()
    assert doc["issuer"] == "http://localhost:8080/api/auth"
    assert doc["jwks_uri"] == "http://localhost:8080/api/auth/.well-known/jwks.json"
    assert doc["token_endpoint"] == "http://localhost:8080/api/auth/oauth/token"
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert "client_credentials" in doc["grant_types_supported"]


async def test_issuer_setting_is_used_in_discovery_and_tokens(make_client) -> None:
    async with make_client(
        issuer="https://id.example.com/api/auth/",
        key_encryption_key="a-real-secret-from-the-environment",
    ) as client:
        doc = (await client.get("/api/auth/.well-known/openid-configuration")).json()
        login = await sign_up(client, "ann@example.org")
    assert doc["issuer"] == "https://id.example.com/api/auth"
    assert jwt_parts(login.access_token)[1]["iss"] == "https://id.example.com/api/auth"


async def test_keys_persist_across_restarts_so_old_tokens_keep_working(make_client) -> None:
    async with make_client() as client:
        login = await sign_up(client, "ann@example.org")
        jwks_before = (await client.get("/api/auth/.well-known/jwks.json")).json()
    async with make_client() as restarted:
        assert (await restarted.get("/api/auth/me", headers=login.bearer)).status_code == 200
        assert (await restarted.get("/api/auth/.well-known/jwks.json")).json() == jwks_before


async def test_private_keys_are_encrypted_at_rest(client, db) -> None:
    rows = await db.fetch("SELECT use, sealed_secret, public_pem FROM signing_keys")
    assert {row["use"] for row in rows} == {"access", "refresh"}
    for row in rows:
        assert b"PRIVATE KEY" not in row["sealed_secret"]
        assert row["public_pem"] is None or "PRIVATE" not in row["public_pem"]


async def test_a_wrong_key_encryption_key_cannot_open_the_stored_keys(make_client) -> None:
    async with make_client():
        pass
    with pytest.raises(InvalidTag):
        async with make_client(key_encryption_key="another-passphrase-entirely"):
            pass


def test_the_development_key_encryption_key_is_refused_outside_local_use() -> None:
    with pytest.raises(ValidationError, match="AUTH_KEY_ENCRYPTION_KEY"):
        Settings(issuer="https://id.example.com/api/auth")
    Settings(issuer="https://id.example.com/api/auth", key_encryption_key="from-the-vault-123")
    Settings(issuer="http://127.0.0.1:8080/api/auth")
