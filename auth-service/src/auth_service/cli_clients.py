"""The options of `auth-service clients create` for applications (OpenID Provider)."""

from __future__ import annotations

import argparse

from auth_service.clients.apps import AUTH_METHODS, GRANTS, AppOptions


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
