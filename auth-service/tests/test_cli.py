"""The administrative command line, called in process (`main([...])`, as the console script
does) against the test PostgreSQL and Redis; one smoke test runs it as a subprocess."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from auth_service.cli import main
from auth_service.config import get_settings
from devstack.ports import free_port
from devstack.redis_server import RedisServer

from tests.helpers import assert_problem, jwt_parts, log_in, refresh, sign_up
from tests.passkeyflows import enrol
from tests.second_factor import enrol_totp, password_step
from tests.softauthenticator import SoftAuthenticator


class Cli:
    """Runs `auth-service ARGS` with AUTH_* settings for the test servers; `**env` adds more."""

    def __init__(self, env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        self.env = env
        self.capsys = capsys

    def _call(self, args: tuple[str, ...], env: dict[str, str]) -> tuple[int, str, str]:
        """Exit status, stdout and stderr, as a separate process would have them."""
        status: int | str | None
        with pytest.MonkeyPatch.context() as patch:
            for name, value in {**self.env, **env}.items():
                patch.setenv(name, value)
            get_settings.cache_clear()  # settings come from the environment, once per run
            try:
                status = main(list(args))
            except SystemExit as exit_:
                status = exit_.code
            finally:
                get_settings.cache_clear()
        out, err = self.capsys.readouterr()
        if isinstance(status, str):  # SystemExit("message"): Python prints it, exits 1
            return 1, out, err + status
        return status or 0, out, err

    async def run(self, *args: str, **env: str) -> Any:
        """Runs a command that must succeed; returns its JSON output (or {})."""
        # A thread: the command runs an event loop of its own, as in its own process.
        status, out, err = await asyncio.to_thread(self._call, args, env)
        assert status == 0, err
        return json.loads(out) if out.strip() else {}

    async def fail(self, *args: str, **env: str) -> str:
        """Runs a command that must fail; returns what it said."""
        status, out, err = await asyncio.to_thread(self._call, args, env)
        assert status != 0, out
        return err


@pytest.fixture
def cli(database_url: str, redis_server: RedisServer, capsys: pytest.CaptureFixture[str]) -> Cli:
    env = {"AUTH_DATABASE_URL": database_url, "AUTH_REDIS_URL": redis_server.url()}
    return Cli({**env, "AUTH_DEV_MODE": "true"}, capsys)


def test_help_lists_the_administrative_commands() -> None:
    """The one subprocess: `python -m auth_service` starts and explains itself."""
    command = [sys.executable, "-m", "auth_service", "--help"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for group in ("migrate", "keys", "clients", "users"):
        assert group in output


async def test_cli_manages_keys_clients_and_users(make_client, cli: Cli) -> None:
    async with make_client():  # first start makes the first keys
        pass
    keys = await cli.run("keys", "list")
    assert [k["status"] for k in keys if k["use"] == "access"] == ["signing"]
    rotated = await cli.run("keys", "rotate", "--activate-in", "600")
    states = {k["kid"]: k["status"] for k in await cli.run("keys", "list")}
    assert states[rotated["kid"]].startswith("next")

    scopes = ("--scope", "stats:read", "--scope", "notes:read")
    created = await cli.run("clients", "create", "--name", "billing", *scopes)
    assert created["scopes"] == ["notes:read", "stats:read"] and created["client_secret"]
    listed = await cli.run("clients", "list")
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    await cli.run("clients", "delete", created["client_id"])
    assert await cli.run("clients", "list") == []
    app_options = ("--grant-type", "authorization_code", "--grant-type", "refresh_token")
    app_options += ("--redirect-uri", "http://127.0.0.1:9999/cb")
    public = await cli.run(
        "clients", "create", "--name", "app", *app_options, "--token-endpoint-auth-method", "none"
    )
    assert public["client_secret"] is None
    assert public["grant_types"] == ["authorization_code", "refresh_token"]
    await cli.run("clients", "delete", public["client_id"])

    ops = ("--email", "ops@example.org")
    await cli.run("users", "create-admin", *ops, AUTH_NEW_PASSWORD="ops-password-77")
    granted = await cli.run("users", "set-role", *ops, "--role", "auditor")
    assert granted["roles"] == ["admin", "auditor"]
    async with make_client() as client:
        login = await log_in(client, "ops@example.org", "ops-password-77")
        me = (await client.get("/api/auth/me", headers=login.bearer)).json()
        assert me["roles"] == ["admin", "auditor"]
        jwks = (await client.get("/api/auth/.well-known/jwks.json")).json()
        assert rotated["kid"] in [k["kid"] for k in jwks["keys"]]


async def test_keys_revoke_takes_a_key_out_now_here_and_at_other_replicas_next_reload(
    make_client, cli: Cli
) -> None:
    async with make_client(key_reload_interval=0.1) as replica:
        login = await sign_up(replica, "ann@example.org")
        kid = jwt_parts(login.access_token)[0]["kid"]
        revoked = await cli.run("keys", "revoke", kid)
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
    states = {k["kid"]: k["status"] for k in await cli.run("keys", "list")}
    assert states[kid] == "revoked"
    assert "No such live key" in await cli.fail("keys", "revoke", kid)


async def test_cli_refuses_user_only_scopes_for_service_clients(make_client, cli: Cli) -> None:
    async with make_client():
        pass
    for scope in ("admin", "openid", "profile", "email"):
        said = await cli.fail("clients", "create", "--name", "x", "--scope", scope)
        assert "cannot be given to a service client" in said
    assert await cli.run("clients", "list") == []


async def test_create_admin_promotes_an_existing_account_only_with_force(
    make_client, cli: Cli
) -> None:
    async with make_client() as client:
        ann = await sign_up(client, "ann@example.org")
    fullwidth = "\N{FULLWIDTH LATIN SMALL LETTER A}nn@example.org"  # the same account
    password = {"AUTH_NEW_PASSWORD": "new-admin-pass-9"}
    said = await cli.fail("users", "create-admin", "--email", fullwidth, **password)
    assert "AUTH_BOOTSTRAP_ADMIN_FORCE" in said and "--force" in said
    args = ("users", "create-admin", "--email", "ann@example.org", "--force")
    promoted = await cli.run(*args, **password)
    assert promoted == {"email": "ann@example.org", "roles": ["admin"]}
    async with make_client() as client:
        assert_problem(await refresh(client, ann.refresh_token), 401)  # its sessions ended
        await log_in(client, "ann@example.org", "new-admin-pass-9")


async def test_the_last_admin_cannot_lose_the_role_from_the_cli(make_client, cli: Cli) -> None:
    async with make_client(
        bootstrap_admin_email="root@example.org", bootstrap_admin_password="root-pass-123"
    ):
        pass
    args = ("users", "set-role", "--email", "root@example.org", "--role", "admin", "--remove")
    assert "last administrator" in await cli.fail(*args)


async def test_cli_resets_a_users_second_factors_passkeys_too_audited(
    make_client, cli: Cli, db
) -> None:
    async with make_client() as client:
        login = await sign_up(client, "ann@example.org")
        device = SoftAuthenticator()
        await enrol(client, login, device)
        await enrol_totp(client, login, device)
        assert (await password_step(client, "ann@example.org"))["mfa_required"]
        reset = await cli.run("users", "reset-mfa", "--email", "ann@example.org")
        assert reset == {"email": "ann@example.org", "mfa_enabled": False}
        assert "access_token" in (await log_in(client, "ann@example.org")).response.json()
    assert await db.fetchval("SELECT count(*) FROM passkeys") == 0
    event = await db.fetchrow(
        "SELECT actor, subject, details FROM audit_events WHERE event = $1", "mfa_reset_by_admin"
    )
    assert json.loads(event["details"]) == {"totp": True, "passkeys": 1}
    assert event["actor"] == "cli" and event["subject"] == jwt_parts(login.access_token)[1]["sub"]
    assert "no user" in await cli.fail("users", "reset-mfa", "--email", "nobody@example.org")


def _cli_process(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`auth-service ARGS` as its own process, with only `env` (no settings of ours)."""
    command = [sys.executable, "-m", "auth_service", *args]
    base = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    return subprocess.run(
        command, env={**base, **env}, capture_output=True, text=True, timeout=60, check=False
    )


def _one_line_without_a_traceback(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "For the `make run` stack: AUTH_DATABASE_URL=postgresql://" in done.stderr
    return done.stderr


def test_without_settings_the_cli_says_what_is_missing_in_a_line() -> None:
    said = _one_line_without_a_traceback(_cli_process("keys", "list"))
    assert "AUTH_KEY_ENCRYPTION_KEY must be set" in said


def test_without_a_database_the_cli_says_where_it_looked_in_a_line() -> None:
    said = _one_line_without_a_traceback(_cli_process("keys", "list", AUTH_DEV_MODE="true"))
    assert "cannot reach PostgreSQL at" in said and "127.0.0.1:5432" in said
    assert "connection refused" in said


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://postgres@127.0.0.1:{free_port()}/auth", "connection refused"),
        ("postgresql://postgres@no-such-host.invalid:5432/auth", "cannot reach PostgreSQL"),
        ("mysql://root@127.0.0.1/auth", "must be a postgresql:// URL"),
        ("not a url", "is not a URL"),
    ],
    ids=["nothing-listening", "unknown-host", "mysql", "not-a-url"],
)
def test_a_wrong_database_url_is_named_in_a_line(url: str, expected: str) -> None:
    done = _cli_process("migrate", AUTH_DEV_MODE="true", AUTH_DATABASE_URL=url)
    assert expected in _one_line_without_a_traceback(done)


def test_a_missing_database_and_an_unreachable_redis_are_named(database_url: str) -> None:
    plain = database_url.replace("+asyncpg", "")
    missing = plain.rsplit("/", 1)[0] + "/no_such_database"
    done = _cli_process("keys", "list", AUTH_DEV_MODE="true", AUTH_DATABASE_URL=missing)
    assert 'database "no_such_database" does not exist' in _one_line_without_a_traceback(done)
    redis_url = f"redis://127.0.0.1:{free_port()}/0"
    done = _cli_process(
        *("users", "create-admin", "--email", "ops@example.org"),
        AUTH_NEW_PASSWORD="ops-password-77",
        AUTH_DEV_MODE="true",
        AUTH_DATABASE_URL=plain,
        AUTH_REDIS_URL=redis_url,
    )
    said = _one_line_without_a_traceback(done)
    assert f"cannot reach Redis at {redis_url} (AUTH_REDIS_URL)" in said


async def test_the_plain_postgresql_url_the_banner_prints_works(
    make_client, database_url: str, redis_server: RedisServer
) -> None:
    async with make_client():  # first start makes the first keys
        pass
    plain = database_url.replace("postgresql+asyncpg://", "postgresql://")
    env = {
        "AUTH_DEV_MODE": "true",
        "AUTH_DATABASE_URL": plain,
        "AUTH_REDIS_URL": redis_server.url(),
    }
    done = await asyncio.to_thread(_cli_process, "keys", "list", **env)
    assert done.returncode == 0, done.stderr
    assert [k["status"] for k in json.loads(done.stdout) if k["use"] == "access"] == ["signing"]
    migrated = await asyncio.to_thread(_cli_process, "migrate", **env)
    assert migrated.returncode == 0 and "up to date" in migrated.stderr, migrated.stderr


def test_reset_mfa_help_says_it_removes_passkeys_too() -> None:
    done = _cli_process("users", "reset-mfa", "--help")
    assert done.returncode == 0
    assert "passkey" in " ".join(done.stdout.split())


async def test_cli_makes_a_registration_token_that_registers_a_client(make_client, cli) -> None:
    made = await cli.run("clients", "registration-token", "--count", "1", "--expires-in", "600")
    assert made["count"] == 1 and made["expires_at"] and len(made["token"]) >= 40
    async with make_client(client_registration="token") as client:
        body = {"redirect_uris": ["https://notes.example/cb"], "client_name": "Notes"}
        headers = {"Authorization": f"Bearer {made['token']}"}
        registered = await client.post("/api/auth/oauth/register", json=body, headers=headers)
        assert registered.status_code == 201, registered.text
        again = await client.post("/api/auth/oauth/register", json=body, headers=headers)
        assert_problem(again, 401, "invalid_token")
    said = await cli.fail("clients", "registration-token", "--count", "0")
    assert "between 1 and 1000" in said
