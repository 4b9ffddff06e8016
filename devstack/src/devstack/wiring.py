"""What wires the services together in a local stack: their environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from devstack.postgres import Postgres
from devstack.redis_server import RedisServer
from devstack.settings import StackSettings


def service_env(
    settings: StackSettings,
    postgres: Postgres,
    redis: RedisServer,
    extra_env: Mapping[str, str],
    terminal: bool = False,
) -> dict[str, str]:
    """The launcher's environment and `extra_env`, plus the wiring. A setting the user gave
    wins over our local defaults; the wiring (database, Redis, SMTP, JWKS) is ours.
    `terminal`: the launcher writes to one, so the services' logs are text (they see
    only the launcher's pipe)."""
    s = settings
    env = {**os.environ, **extra_env}
    if terminal:
        env.setdefault("AUTH_LOG_FORMAT", "text")
        env.setdefault("RESOURCE_LOG_FORMAT", "text")
    env.setdefault("AUTH_ISSUER", f"{s.public_url}/api/auth")
    env.setdefault("RESOURCE_ISSUER", env["AUTH_ISSUER"])
    env.setdefault("AUTH_ALLOWED_ORIGINS", s.public_url)
    # Links in mails (password reset, verification) open the web app at this origin.
    env.setdefault("AUTH_PUBLIC_URL", s.public_url)
    env.setdefault("AUTH_COOKIE_SECURE", "false")  # plain HTTP on localhost
    # Local use: the auth service accepts its built-in key-encryption key (compose and
    # real deployments never set this, so they must bring a 32-byte random one).
    env.setdefault("AUTH_DEV_MODE", "true")
    env.update(
        AUTH_DATABASE_URL=postgres.url("auth"),
        AUTH_REDIS_URL=redis.url(0),
        RESOURCE_DATABASE_URL=postgres.url("resource"),
        # Mail goes to the stack's own catcher, never out (read it at mail_url).
        AUTH_SMTP_URL=f"smtp://127.0.0.1:{s.smtp_port}",
        RESOURCE_JWKS_URL=jwks_url(s),
        RESOURCE_REVOCATION_URL=jwks_url(s).removesuffix("/.well-known/jwks.json"),
        PYTHONUNBUFFERED="1",
    )
    return env


def jwks_url(settings: StackSettings) -> str:
    path = "/api/auth/.well-known/jwks.json"
    if len(settings.replica_ports("auth")) == 1:
        # Straight to the auth service, so key fetches never depend on the gateway.
        return f"http://127.0.0.1:{settings.auth_port}{path}"
    # Through the gateway: whichever auth replica is up answers.
    return f"http://127.0.0.1:{settings.gateway_port}{path}"
