from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from tests.helpers import assert_problem, jwt_parts, log_in, refresh, sign_up

CLI = [sys.executable, "-m", "auth_service"]


def _run(database_url: str, redis_url: str, *args: str, **env: str) -> dict | list:
    result = subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={
            **os.environ,
            "AUTH_DATABASE_URL": database_url,
            "AUTH_REDIS_URL": redis_url,
            "AUTH_DEV_MODE": "true",
            **env,
        },
    )
    return json.loads(result.stdout) if result.stdout.strip() else {}


def _fail(database_url: str, redis_url: str, *args: str, **env: str) -> str:
    """Runs a command that must fail; returns what it said."""
    result = subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "AUTH_DATABASE_URL": database_url,
            "AUTH_REDIS_URL": redis_url,
            "AUTH_DEV_MODE": "true",
            **env,
        },
    )
    assert result.returncode != 0, result.stdout
    return result.stderr


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


async def test_keys_revoke_takes_a_key_out_now_here_and_at_other_replicas_next_reload(
    make_client, database_url, redis_server
) -> None:
    async with make_client(key_reload_interval=0.1) as replica:
        login = await sign_up(replica, "ann@example.org")
        kid = jwt_parts(login.access_token)[0]["kid"]
        revoked = await asyncio.to_thread(
            _run, database_url, redis_server.url(), "keys", "revoke", kid
        )
        assert revoked["revoked"] == kid and revoked["signing_now"] != kid
        for _ in range(200):  # the replica's reload loop picks it up
            jwks = (await replica.get("/api/auth/.well-known/jwks.json")).json()
            if [k["kid"] for k in jwks["keys"]] == [revoked["signing_now"]]:
                break
            await asyncio.sleep(0.05)
        assert [k["kid"] for k in jwks["keys"]] == [revoked["signing_now"]]
        assert_problem(await replica.get("/api/auth/me", headers=login.bearer), 401)
        fresh = await refresh(replica, login.refresh_token)
        assert jwt_parts(fresh.json()["access_token"])[0]["kid"] == revoked["signing_now"]
    states = {k["kid"]: k["status"] for k in _run(database_url, redis_server.url(), "keys", "list")}
    assert states[kid] == "revoked"
    assert "No such live key" in _fail(database_url, redis_server.url(), "keys", "revoke", kid)


async def test_cli_refuses_user_only_scopes_for_service_clients(
    make_client, database_url, redis_server
) -> None:
    async with make_client():
        pass
    for scope in ("admin", "openid", "profile", "email"):
        said = _fail(
            database_url, redis_server.url(), "clients", "create", "--name", "x", "--scope", scope
        )
        assert "cannot be given to a service client" in said
    assert _run(database_url, redis_server.url(), "clients", "list") == []


async def test_create_admin_promotes_an_existing_account_only_with_force(
    make_client, database_url, redis_server
) -> None:
    redis_url = redis_server.url()
    async with make_client() as client:
        ann = await sign_up(client, "ann@example.org")
    said = _fail(
        database_url,
        redis_url,
        "users",
        "create-admin",
        "--email",
        "\N{FULLWIDTH LATIN SMALL LETTER A}nn@example.org",  # fullwidth: the same account
        AUTH_NEW_PASSWORD="new-admin-pass-9",
    )
    assert "AUTH_BOOTSTRAP_ADMIN_FORCE" in said and "--force" in said
    promoted = _run(
        database_url,
        redis_url,
        "users",
        "create-admin",
        "--email",
        "ann@example.org",
        "--force",
        AUTH_NEW_PASSWORD="new-admin-pass-9",
    )
    assert promoted == {"email": "ann@example.org", "roles": ["admin"]}
    async with make_client() as client:
        assert_problem(await refresh(client, ann.refresh_token), 401)  # its sessions ended
        await log_in(client, "ann@example.org", "new-admin-pass-9")


async def test_the_last_admin_cannot_lose_the_role_from_the_cli(
    make_client, database_url, redis_server
) -> None:
    async with make_client(
        bootstrap_admin_email="root@example.org", bootstrap_admin_password="root-pass-123"
    ):
        pass
    args = ("users", "set-role", "--email", "root@example.org", "--role", "admin", "--remove")
    assert "last administrator" in _fail(database_url, redis_server.url(), *args)
