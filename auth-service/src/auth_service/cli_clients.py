"""`auth-service clients …`: create (services and applications of the OpenID Provider),
list, delete, and the initial access tokens of dynamic registration."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients import repository as client_repository
from auth_service.clients import service as clients
from auth_service.clients.apps import AUTH_METHODS, GRANTS, AppOptions
from auth_service.registration import tokens as registration_tokens
from auth_service.registry import Registry

Job = Callable[[Registry, AsyncSession, argparse.Namespace], Awaitable[Any]]
InTransaction = Callable[[Job], Callable[[argparse.Namespace], int]]


def add_app_options(create: argparse.ArgumentParser) -> None:
    create.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
    create.add_argument(
        "--post-logout-redirect-uri",
        action="append",
        default=[],
        dest="post_logout_redirect_uris",
    )
    create.add_argument("--grant-type", action="append", choices=sorted(GRANTS), dest="grant_types")
    create.add_argument(
        "--token-endpoint-auth-method",
        choices=sorted(AUTH_METHODS),
        default="client_secret_basic",
        help="none: a public client (no secret)",
    )
    create.add_argument("--first-party", action="store_true", help="no consent screen")
    create.add_argument("--require-par", action="store_true", help="pushed requests only")


def options_of(args: argparse.Namespace) -> AppOptions:
    return AppOptions(
        redirect_uris=args.redirect_uris,
        post_logout_redirect_uris=args.post_logout_redirect_uris,
        grant_types=args.grant_types or ["client_credentials"],
        token_endpoint_auth_method=args.token_endpoint_auth_method,
        first_party=args.first_party,
        require_pushed_authorization_requests=args.require_par,
    )


async def _create(built: Registry, db: AsyncSession, args: argparse.Namespace) -> dict[str, Any]:
    created = await clients.register(db, args.name, args.scope, "cli", options_of(args))
    return {
        "client_id": created.client.client_id,
        "client_secret": created.secret,
        "name": created.client.name,
        "scopes": created.client.scopes,
        "grant_types": created.client.grant_types,
    }


async def _list(built: Registry, db: AsyncSession, _: argparse.Namespace) -> list[dict[str, Any]]:
    return [
        {"client_id": c.client_id, "name": c.name, "scopes": c.scopes, "created_at": c.created_at}
        for c in await client_repository.all_clients(db)
    ]


async def _delete(built: Registry, db: AsyncSession, args: argparse.Namespace) -> None:
    await clients.remove(db, args.client_id, actor="cli")
    print(f"deleted {args.client_id}", file=sys.stderr)


async def _registration_token(
    built: Registry, db: AsyncSession, args: argparse.Namespace
) -> dict[str, Any]:
    now = built.clock.now()
    new = await registration_tokens.issue(db, "cli", now, args.expires_in, args.count)
    if built.settings.client_registration != "token":
        print("note: AUTH_CLIENT_REGISTRATION is not `token`: it is not asked for", file=sys.stderr)
    return {"token": new.token, "expires_at": new.expires_at, "count": new.count}


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"between {low} and {high}")
        return value

    return parse


def add_commands(groups: Any, in_transaction: InTransaction) -> None:
    client_cmds = groups.add_parser("clients", help="service clients").add_subparsers(required=True)
    create = client_cmds.add_parser("create", help="register a client; prints its secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", default=[], help="repeat for several")
    add_app_options(create)
    create.set_defaults(run=in_transaction(_create))
    client_cmds.add_parser("list", help="registered clients").set_defaults(
        run=in_transaction(_list)
    )
    delete = client_cmds.add_parser("delete", help="delete a client")
    delete.add_argument("client_id")
    delete.set_defaults(run=in_transaction(_delete))
    token = client_cmds.add_parser(
        "registration-token",
        help="an initial access token for POST /oauth/register; prints it once",
    )
    token.add_argument(
        "--expires-in",
        type=_bounded(60, registration_tokens.MAX_TTL),
        default=registration_tokens.DEFAULT_TTL,
        metavar="SECONDS",
        help=f"lifetime (default {registration_tokens.DEFAULT_TTL})",
    )
    token.add_argument(
        "--count",
        type=_bounded(1, registration_tokens.MAX_COUNT),
        default=1,
        help="clients it may register (default 1: single use)",
    )
    token.set_defaults(run=in_transaction(_registration_token))
