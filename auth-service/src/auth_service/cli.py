"""`auth-service`: the administrative command line (keys, clients, users, migrations).

Settings come from the same AUTH_* environment variables as the service. For the
`make run` stack (its banner prints the line):
  AUTH_DATABASE_URL=postgresql://postgres@127.0.0.1:54320/auth
  AUTH_REDIS_URL=redis://127.0.0.1:63790/0 AUTH_DEV_MODE=true
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy.exc
from asyncpg.exceptions import UndefinedTableError
from pydantic import ValidationError
from service_kit import cli
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import cli_clients, cli_connect, registry
from auth_service.config import get_settings
from auth_service.errors import AppError
from auth_service.keys import repository as key_repository
from auth_service.keys import service as keys
from auth_service.registry import Registry
from auth_service.security.passwords import password_problem
from auth_service.users import addresses
from auth_service.users import repository as users
from auth_service.users import service as user_service

Job = Callable[[Registry, AsyncSession, argparse.Namespace], Awaitable[Any]]


def _in_transaction(job: Job, *, redis: bool = False) -> Callable[[argparse.Namespace], int]:
    """A command run with the service's own registry (the same services, built the same
    way, as the app's), in one transaction; `redis`: it ends sessions, which Redis must
    hear of too, so Redis is checked first."""

    def run(args: argparse.Namespace) -> int:
        async def main() -> Any:
            url = cli_connect.database_url()
            await cli_connect.check_database(url)
            settings = get_settings().model_copy(update={"database_url": url})
            async with registry.build(settings) as built:
                if redis:
                    await cli_connect.check_redis(built.redis)
                async with built.sessionmaker() as db, db.begin():
                    return await job(built, db, args)

        try:
            result = asyncio.run(main())
        except AppError as error:
            print(f"error: {error.detail}", file=sys.stderr)
            return 1
        if result is not None:
            print(json.dumps(result, indent=2, default=str))
        return 0

    return run


async def _keys_list(
    built: Registry, db: AsyncSession, _: argparse.Namespace
) -> list[dict[str, Any]]:
    now = built.clock.now()
    return [
        {
            "kid": k.kid,
            "use": k.use,
            "algorithm": k.algorithm,
            "status": "revoked" if k.revoked_at else keys.status_of(k, now),
            "created_at": k.created_at,
            "activates_at": k.activates_at,
            "retires_at": k.retires_at,
            "expires_at": k.expires_at,
            "revoked_at": k.revoked_at,
        }
        for k in await key_repository.all_keys(db)
    ]


async def _keys_rotate(
    built: Registry, db: AsyncSession, args: argparse.Namespace
) -> dict[str, Any]:
    s = built.settings
    activate_in = s.key_publish_ahead if args.activate_in is None else args.activate_in
    key = await keys.rotate(
        db,
        built.encryptor,
        s.signing_key_bits,
        activate_in=activate_in,
        access_token_ttl=s.access_token_ttl,
        actor="cli",
        now=built.clock.now(),
    )
    return {"kid": key.kid, "signs_from": key.activates_at}


async def _keys_revoke(
    built: Registry, db: AsyncSession, args: argparse.Namespace
) -> dict[str, Any]:
    s = built.settings
    now = built.clock.now()
    new = await keys.revoke(db, built.encryptor, s.signing_key_bits, args.kid, actor="cli", now=now)
    print(
        f"revoked {args.kid}; replicas follow within AUTH_KEY_RELOAD_INTERVAL "
        f"({s.key_reload_interval:g} s)",
        file=sys.stderr,
    )
    return {"revoked": args.kid, "signing_now": new.kid if new else None}


def _password_from(args: argparse.Namespace) -> str:
    try:
        password = os.environ.get("AUTH_NEW_PASSWORD") or getpass.getpass("Password: ")
    except EOFError:
        raise SystemExit(
            "error: no password: set AUTH_NEW_PASSWORD or type it when asked"
        ) from None
    problem = password_problem(password, args.email)
    if problem:
        raise SystemExit(f"error: {problem}")
    return password


async def _users_create_admin(
    built: Registry, db: AsyncSession, args: argparse.Namespace
) -> dict[str, Any]:
    facts = (built.hasher, built.ledger, args.email, args.password)
    now = built.clock.now()
    user = await user_service.ensure_admin(db, *facts, force=args.force, actor="cli", now=now)
    return {"email": user.email, "roles": user.roles}


async def _users_set_role(
    built: Registry, db: AsyncSession, args: argparse.Namespace
) -> dict[str, Any]:
    user = await users.get_by_email(db, addresses.normalize_email(args.email))
    if user is None:
        print(f"error: no user {args.email}", file=sys.stderr)
        raise SystemExit(1)
    roles = set(user.roles) - {args.role} if args.remove else set(user.roles) | {args.role}
    updated = await user_service.set_roles(
        db, built.ledger, user.id, sorted(roles), actor="cli", now=built.clock.now()
    )
    return {"email": updated.email, "roles": updated.roles}


async def _users_reset_mfa(
    built: Registry, db: AsyncSession, args: argparse.Namespace
) -> dict[str, Any]:
    user = await users.get_by_email(db, addresses.normalize_email(args.email))
    if user is None:
        print(f"error: no user {args.email}", file=sys.stderr)
        raise SystemExit(1)
    await built.mfa.reset(db, user.id, actor="cli")
    return {"email": user.email, "mfa_enabled": False}


def _migrate(_: argparse.Namespace) -> int:
    from auth_service.migrations import upgrade

    url = cli_connect.database_url()
    asyncio.run(cli_connect.check_database(url))
    upgrade(url)
    print("database schema is up to date", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auth-service",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    groups.add_parser("migrate", help="apply the database migrations").set_defaults(run=_migrate)

    key_cmds = groups.add_parser("keys", help="signing keys").add_subparsers(required=True)
    key_cmds.add_parser("list", help="every key and its state").set_defaults(
        run=_in_transaction(_keys_list)
    )
    rotate = key_cmds.add_parser("rotate", help="publish a new key; it signs after a delay")
    rotate.add_argument(
        "--activate-in",
        type=float,
        metavar="SECONDS",
        help="delay before it signs (default: AUTH_KEY_PUBLISH_AHEAD, 400)",
    )
    rotate.set_defaults(run=_in_transaction(_keys_rotate))
    revoke = key_cmds.add_parser(
        "revoke", help="a compromised key leaves the JWKS now; a new key signs at once"
    )
    revoke.add_argument(
        "kid", help="the key's id (`keys list`); write `--` before one starting with -"
    )
    revoke.set_defaults(run=_in_transaction(_keys_revoke))

    cli_clients.add_commands(groups, _in_transaction)

    user_cmds = groups.add_parser("users", help="users and roles").add_subparsers(required=True)
    admin = user_cmds.add_parser(
        "create-admin",
        help="make sure an administrator exists (password from AUTH_NEW_PASSWORD or a prompt)",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--force",
        action="store_true",
        help="promote an existing non-admin account (its sessions end)",
    )
    admin.set_defaults(
        run=lambda args: _in_transaction(_users_create_admin, redis=True)(
            argparse.Namespace(**vars(args), password=_password_from(args))
        )
    )
    role = user_cmds.add_parser("set-role", help="grant (or with --remove, take) a role")
    role.add_argument("--email", required=True)
    role.add_argument("--role", required=True)
    role.add_argument("--remove", action="store_true")
    role.set_defaults(run=_in_transaction(_users_set_role, redis=True))
    reset_mfa = user_cmds.add_parser(
        "reset-mfa",
        help="remove a user's second factors: authenticator app, recovery codes and passkeys",
        description="Remove every second factor of the user: the authenticator app, its "
        "recovery codes and every passkey (the device may be lost or stolen). The next "
        "log-in asks for the password only.",
    )
    reset_mfa.add_argument("--email", required=True)
    reset_mfa.set_defaults(run=_in_transaction(_users_reset_mfa, redis=True))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs a command; what stops it before it starts (settings, PostgreSQL or Redis out of
    reach, no schema) is said in one line, with how to reach the `make run` stack."""
    try:
        return cli.run(build_parser(), argv)
    except ValidationError as error:
        problem = cli_connect.settings_problem(error)
    except cli_connect.Unreachable as error:
        problem = str(error)
    except sqlalchemy.exc.ProgrammingError as error:
        if not isinstance(cli_connect.innermost(error), UndefinedTableError):
            raise
        problem = "the database has no tables yet: run `auth-service migrate` first"
    print(f"auth-service: {cli_connect.one_line(problem)}. {cli_connect.HINT}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
