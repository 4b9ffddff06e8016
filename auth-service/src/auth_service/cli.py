"""`auth-service`: the administrative command line."""

from __future__ import annotations

import argparse
import sys

from auth_service.config import get_settings


def _migrate(_: argparse.Namespace) -> int:
    from auth_service.migrations import upgrade

    upgrade(get_settings().database_url)
    print("database schema is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auth-service",
        description="Gatehouse auth service administration. "
        "Settings come from the AUTH_* environment variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply the database migrations")
    migrate.set_defaults(handler=_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
