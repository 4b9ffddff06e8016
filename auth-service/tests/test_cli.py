from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import log_in

CLI = [sys.executable, "-m", "auth_service"]


def _run(database_url: str, redis_url: str, *args: str, **env: str) -> dict | list:
    result = subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "AUTH_DATABASE_URL": database_url, "AUTH_REDIS_URL": redis_url, **env},
    )
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_help_lists_the_administrative_commands() -> None:
    output = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("migrate", "keys", "clients", "users"):
        assert command in output


async def test_cli_manages_keys_clients_and_users(make_client, database_url, redis_server) -> None:
    redis_url = redis_server.url()
    async with make_client():  # first start makes the first keys
        pass
    keys = _run(database_url, redis_url, "keys", "list")
    assert [k["status"] for k in keys if k["use"] == "access"] == ["signing"]
    rotated = _run(database_url, redis_url, "keys", "rotate", "--activate-in", "600")
    states = {k["kid"]: k["status"] for k in _run(database_url, redis_url, "keys", "list")}
    assert states[rotated["kid"]].startswith("next")

    created = _run(
        database_url,
        redis_url,
        "clients",
        "create",
        "--name",
        "billing",
        "--scope",
        "stats:read",
        "--scope",
        "notes:read",
    )
    assert created["scopes"] == ["notes:read", "stats:read"] and created["client_secret"]
    listed = _run(database_url, redis_url, "clients", "list")
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    _run(database_url, redis_url, "clients", "delete", created["client_id"])
    assert _run(database_url, redis_url, "clients", "list") == []

    _run(
        database_url,
        redis_url,
        "users",
        "create-admin",
        "--email",
        "ops@example.org",
        AUTH_NEW_PASSWORD="ops-password-77",
    )
    granted = _run(
        database_url,
        redis_url,
        "users",
        "set-role",
        "--email",
        "ops@example.org",
        "--role",
        "auditor",
    )
    assert granted["roles"] == ["admin", "auditor"]
    async with make_client() as client:
        login = await log_in(client, "ops@example.org", "ops-password-77")
        me = (await client.get("/api/auth/me", headers=login.bearer)).json()
        assert me["roles"] == ["admin", "auditor"]
        jwks = (await client.get("/api/auth/.well-known/jwks.json")).json()
        assert rotated["kid"] in [k["kid"] for k in jwks["keys"]]
