from __future__ import annotations

import base64
import logging
import secrets

import pytest
from auth_service.config import Settings
from auth_service.keys.models import ACCESS, REFRESH
from auth_service.keys.service import KeysUnreadable, new_key_id
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from tests.helpers import assert_problem, jwt_parts, registry, sign_up

STRONG_KEK = secrets.token_hex(32)

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
    assert doc["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    assert doc["access_token_signing_alg_values_supported"] == ["RS256"]


async def test_discovery_lists_no_flow_that_has_no_endpoint(client) -> None:
    """Every endpoint listed answers; what is not built yet is not listed."""
    doc = (await client.get("/api/auth/.well-known/openid-configuration")).json()
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert "registration_endpoint" not in doc  # AUTH_CLIENT_REGISTRATION is off by default
    endpoints = (
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "authorization_endpoint",
        "userinfo_endpoint",
        "end_session_endpoint",
        "pushed_authorization_request_endpoint",
    )
    for endpoint in endpoints:
        path = doc[endpoint].removeprefix("http://localhost:8080")
        assert (await client.post(path)).status_code != 404, endpoint


async def test_issuer_setting_is_used_in_discovery_and_tokens(make_client) -> None:
    async with make_client(
        issuer="https://id.example.com/api/auth/",
        dev_mode=False,
        key_encryption_key=STRONG_KEK,
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
    rows = await db.fetch("SELECT use, sealed_secret FROM signing_keys")
    assert {row["use"] for row in rows} == {"access", "refresh"}
    for row in rows:
        assert b"PRIVATE KEY" not in row["sealed_secret"]


async def _jwks(client) -> list[dict]:
    return list((await client.get("/api/auth/.well-known/jwks.json")).json()["keys"])


async def test_a_public_key_written_into_the_database_is_never_published(make_client, db) -> None:
    async with make_client() as client:
        published = await _jwks(client)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attacker_pem = attacker.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    columns = await db.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'signing_keys'"
    )
    if "public_pem" in {c["column_name"] for c in columns}:  # where a public key could hide
        await db.execute("UPDATE signing_keys SET public_pem = $1", attacker_pem.decode())
    async with make_client() as client:
        # The public key is derived from the sealed private key: the JWKS is unchanged.
        assert await _jwks(client) == published


async def test_a_key_row_changed_in_the_database_is_refused_and_not_published(
    make_client, db, caplog
) -> None:
    async with make_client() as client:
        login = await sign_up(client, "ann@example.org")
    kid = jwt_parts(login.access_token)[0]["kid"]
    # A copy of the sealed key under another kid, and the original's algorithm changed.
    await db.execute(
        "INSERT INTO signing_keys (kid, use, algorithm, sealed_secret, created_at, activates_at)"
        " SELECT 'moved-key', use, algorithm, sealed_secret, created_at, activates_at"
        " FROM signing_keys WHERE kid = $1",
        kid,
    )
    await db.execute("UPDATE signing_keys SET algorithm = 'RS384' WHERE kid = $1", kid)
    with caplog.at_level(logging.ERROR, logger="auth_service.keys"):
        async with make_client() as client:
            kids = [key["kid"] for key in await _jwks(client)]
            response = await client.get("/api/auth/me", headers=login.bearer)
            fresh = await sign_up(client, "bob@example.org")
    assert kid not in kids and "moved-key" not in kids and len(kids) == 1
    assert_problem(response, 401, "invalid_token")  # its tokens no longer verify either
    assert jwt_parts(fresh.access_token)[0]["kid"] == kids[0]  # a new key took over
    refused = [r.getMessage() for r in caplog.records if "refused signing key" in r.getMessage()]
    assert any(kid in line for line in refused) and any("moved-key" in line for line in refused)


async def test_keys_sealed_before_the_binding_are_resealed_at_start_up(make_client, db) -> None:
    async with make_client() as client:
        login = await sign_up(client, "ann@example.org")
        published = await _jwks(client)
        encryptor = registry(client).keys._encryptor
    rows = await db.fetch("SELECT kid, use, algorithm, sealed_secret FROM signing_keys")
    for row in rows:  # as release 0003 sealed them: bound to the kid alone
        binding = {"kid": row["kid"], "alg": row["algorithm"], "use": row["use"]}
        plain = encryptor.open(row["sealed_secret"], **binding)
        nonce = secrets.token_bytes(12)
        legacy = nonce + encryptor._aead.encrypt(nonce, plain, row["kid"].encode())
        await db.execute(
            "UPDATE signing_keys SET sealed_secret = $1 WHERE kid = $2", legacy, row["kid"]
        )
    async with make_client() as client:
        assert await _jwks(client) == published
        assert (await client.get("/api/auth/me", headers=login.bearer)).status_code == 200
    for row in await db.fetch("SELECT kid, use, algorithm, sealed_secret FROM signing_keys"):
        binding = {"kid": row["kid"], "alg": row["algorithm"], "use": row["use"]}
        assert encryptor.open(row["sealed_secret"], **binding)  # bound to kid, alg and use


async def test_a_changed_key_encryption_key_reseals_with_the_previous_one_set(
    make_client,
) -> None:
    first, second = secrets.token_hex(32), secrets.token_hex(32)
    async with make_client(key_encryption_key=first) as client:
        published = await _jwks(client)
    with pytest.raises(KeysUnreadable):
        async with make_client(key_encryption_key=second):
            pass
    async with make_client(key_encryption_key=second, previous_key_encryption_key=first) as client:
        assert await _jwks(client) == published
    async with make_client(key_encryption_key=second) as client:  # re-sealed under the new one
        assert await _jwks(client) == published


async def test_a_wrong_key_encryption_key_fails_start_up_with_a_clear_error(make_client) -> None:
    async with make_client():
        pass
    with pytest.raises(KeysUnreadable, match="AUTH_KEY_ENCRYPTION_KEY opens none"):
        async with make_client(key_encryption_key=secrets.token_hex(32)):
            pass


def test_the_development_key_encryption_key_needs_dev_mode(monkeypatch) -> None:
    monkeypatch.delenv("AUTH_DEV_MODE", raising=False)
    monkeypatch.delenv("AUTH_KEY_ENCRYPTION_KEY", raising=False)
    for issuer in ("https://id.example.com/api/auth", "http://127.0.0.1:8080/api/auth"):
        with pytest.raises(ValidationError, match="AUTH_KEY_ENCRYPTION_KEY must be set"):
            Settings(issuer=issuer)
    Settings(dev_mode=True)
    Settings(key_encryption_key=STRONG_KEK)


@pytest.mark.parametrize(
    "value",
    [
        "from-the-vault-123",  # a passphrase, not key material
        "check",
        secrets.token_hex(16),  # 16 bytes
        base64.b64encode(secrets.token_bytes(24)).decode(),
        "00" * 32,  # 32 bytes, no entropy
        "0123456789abcdef" * 4,
    ],
    ids=["passphrase", "word", "16-bytes-hex", "24-bytes-base64", "zeros", "repeated"],
)
def test_a_short_or_low_entropy_key_encryption_key_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_KEY_ENCRYPTION_KEY"):
        Settings(key_encryption_key=value)


@pytest.mark.parametrize(
    "value",
    [
        secrets.token_hex(32),
        secrets.token_hex(32).upper(),
        base64.b64encode(secrets.token_bytes(32)).decode(),
        base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("="),
    ],
    ids=["hex", "upper-hex", "base64", "base64url-48-bytes"],
)
def test_hex_or_base64_of_32_random_bytes_is_accepted(value: str) -> None:
    Settings(key_encryption_key=value)


def test_key_ids_never_start_with_a_dash_so_the_cli_can_take_them() -> None:
    ids = [new_key_id(use) for use in (ACCESS, REFRESH) for _ in range(2000)]
    assert not any(kid.startswith("-") for kid in ids)
    assert len(set(ids)) == len(ids)
    assert {kid[:2] for kid in ids} == {"a-", "r-"}
