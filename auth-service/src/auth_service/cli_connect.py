"""Where the command line connects, and the one line it says when it cannot.

The command line takes the service's AUTH_* settings. Against the `make run` stack they are
the ones in `LOCAL_STACK` (its banner prints them); AUTH_DATABASE_URL may be the plain
`postgresql://` URL that the banner and psql use: the command line adds the driver.
"""

from __future__ import annotations

import asyncpg
import sqlalchemy.exc
from pydantic import ValidationError
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from service_kit import db as database
from sqlalchemy.engine import URL, make_url

from auth_service.config import get_settings

LOCAL_STACK = (
    "AUTH_DATABASE_URL=postgresql://postgres@127.0.0.1:54320/auth "
    "AUTH_REDIS_URL=redis://127.0.0.1:63790/0 AUTH_DEV_MODE=true"
)
HINT = f"For the `make run` stack: {LOCAL_STACK} (its banner prints the line to use)."


class Unreachable(RuntimeError):
    """PostgreSQL or Redis does not answer at the configured address; the message says how."""


def database_url() -> str:
    """AUTH_DATABASE_URL, with asyncpg as its driver whatever driver it names (or none)."""
    raw = get_settings().database_url
    try:
        url = make_url(raw)
    except sqlalchemy.exc.ArgumentError:
        raise Unreachable(f"AUTH_DATABASE_URL is not a URL: {raw!r}") from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise Unreachable(
            f"AUTH_DATABASE_URL must be a postgresql:// URL, not {_shown(url)}"
        ) from None
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


async def check_database(url: str) -> None:
    """Connect once; raise Unreachable saying where and why if that fails."""
    engine = database.create_engine(url, pool_size=1)
    try:
        async with engine.connect():
            pass
    except (OSError, asyncpg.PostgresError, sqlalchemy.exc.DBAPIError) as error:
        raise Unreachable(
            f"cannot reach PostgreSQL at {_shown(make_url(url))} (AUTH_DATABASE_URL): "
            f"{_reason(error)}"
        ) from None
    finally:
        await engine.dispose()


async def check_redis(redis: Redis) -> None:
    try:
        await redis.ping()
    except (OSError, redis_errors.ConnectionError, redis_errors.TimeoutError) as error:
        where = get_settings().redis_url
        raise Unreachable(f"cannot reach Redis at {where} (AUTH_REDIS_URL): {error}") from None


def innermost(error: BaseException) -> BaseException:
    """The error at the bottom of SQLAlchemy's wrappers (asyncpg's, or the socket's)."""
    while True:
        inner = getattr(error, "orig", None) or error.__cause__
        if inner is None or inner is error:
            return error
        error = inner


def _reason(error: BaseException) -> str:
    """The innermost cause, in words (asyncpg's message; the socket's error)."""
    error = innermost(error)
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is it running, on that port?)"
    text = str(error).strip()
    return text.split(">: ", 1)[-1] if text else type(error).__name__


def settings_problem(error: ValidationError) -> str:
    """What is missing or wrong in the AUTH_* settings, in a line."""
    problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = "_".join(str(part) for part in item["loc"]).upper()
        problems.append(f"AUTH_{field}: {message}" if field else message)
    return "the settings are incomplete: " + "; ".join(problems)


def one_line(text: str) -> str:
    return " ".join(text.split())
