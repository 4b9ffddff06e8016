"""A database of release 0003, with its data, upgraded to the keys-and-admin schema."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
from auth_service.config import DEV_KEY_ENCRYPTION_KEY
from auth_service.migrations import upgrade
from auth_service.security.encryption import _aead
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers import jwt_parts, sign_up


def _sealed_as_in_0003(plaintext: bytes, kid: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + _aead(DEV_KEY_ENCRYPTION_KEY).encrypt(nonce, plaintext, kid.encode())


async def test_an_0003_database_upgrades_with_its_keys_clients_and_emails(
    postgres_server, make_client
) -> None:
    name = f"upgrade_{uuid.uuid4().hex[:8]}"
    postgres_server.create_database(name)
    url = postgres_server.url(name)
    await asyncio.to_thread(upgrade, url, "0003")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    db = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await db.execute(
            "INSERT INTO signing_keys (kid, use, algorithm, public_pem, sealed_secret,"
            " created_at, activates_at) VALUES ('old-access', 'access', 'RS256', $1, $2,"
            " now(), now()), ('r-old', 'refresh', 'HS256', NULL, $3, now(), now())",
            public.decode(),
            _sealed_as_in_0003(pem, "old-access"),
            _sealed_as_in_0003(os.urandom(32), "r-old"),
        )
        await db.execute(
            "INSERT INTO oauth_clients (client_id, name, secret_hash, scopes, created_at)"
            " VALUES ('svc_a', 'a', 'x', '{admin,stats:read,openid}', now())"
        )
        await db.execute(
            "INSERT INTO users (id, email, password_hash, roles, created_at, updated_at)"
            " VALUES (gen_random_uuid(), $1, 'x', '{}', now(), now())",
            "\N{FULLWIDTH LATIN SMALL LETTER A}nn@example.org",
        )
        await asyncio.to_thread(upgrade, url)
        assert await db.fetchval("SELECT scopes FROM oauth_clients") == ["stats:read"]
        assert await db.fetchval("SELECT email FROM users") == "ann@example.org"
        columns = await db.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'signing_keys'"
        )
        assert "public_pem" not in {c["column_name"] for c in columns}

        async with make_client(database_url=url) as client:  # re-seals at start-up
            jwks = (await client.get("/api/auth/.well-known/jwks.json")).json()
            login = await sign_up(client, "bob@example.org")
        assert [k["kid"] for k in jwks["keys"]] == ["old-access"]
        assert jwt_parts(login.access_token)[0]["kid"] == "old-access"
        async with make_client(database_url=url) as client:
            assert (await client.get("/api/auth/me", headers=login.bearer)).status_code == 200
    finally:
        await db.close()
