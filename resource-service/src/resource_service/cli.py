"""`resource-service`: the command line (migrations)."""

from __future__ import annotations

import argparse
import sys

from service_kit import cli

from resource_service.config import get_settings


def _migrate(args: argparse.Namespace) -> int:
    from resource_service.migrations import upgrade

    upgrade(args.database_url or get_settings().database_url, args.revision)
    print("database schema is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resource-service",
        description="Gatehouse resource service. Settings come from the RESOURCE_* "
        "environment variables; serve it with "
        "`uvicorn resource_service.app:create_app --factory`.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply the database migrations")
    migrate.add_argument("--database-url", help="instead of RESOURCE_DATABASE_URL")
    migrate.add_argument("--revision", default="head", help="migrate to this revision (head)")
    migrate.set_defaults(run=_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli.run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
