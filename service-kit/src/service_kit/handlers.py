"""The exception handlers that turn every error a client can see into problem+json."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from service_kit.problems import AppError, problem_response

logger = logging.getLogger("service_kit.errors")

# Seconds a client is asked to wait when every pooled database connection is busy.
OVERLOAD_RETRY_AFTER = 2

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}

# Called with "database", "redis" or "database_pool" each time a request fails closed.
DependencyErrorHook = Callable[[str], None]


def _ignore(_: str) -> None:
    pass


def install_error_handlers(
    app: FastAPI,
    dependency_errors: Iterable[type[Exception]] = (),
    on_dependency_error: DependencyErrorHook = _ignore,
) -> None:
    """AppError, validation and HTTP errors as problem+json; `dependency_errors` (the
    database or Redis unreachable) as 503 with Retry-After, and so is a pool timeout."""

    async def dependency_down(_: Request, exc: Exception) -> JSONResponse:
        # Fail closed: without the database or Redis nothing is decided, nothing is lost.
        dependency = "redis" if type(exc).__module__.startswith("redis") else "database"
        logger.warning("dependency unavailable: %s (%s)", dependency, type(exc).__name__)
        on_dependency_error(dependency)
        return problem_response(
            503,
            "unavailable",
            "A dependency of the service is unavailable",
            "Please retry shortly",
            {"Retry-After": "1"},
        )

    async def overloaded(_: Request, exc: Exception) -> JSONResponse:
        # Every pooled connection stayed busy for the whole pool timeout: overload, not a bug.
        logger.warning("database pool exhausted: %s", type(exc).__name__)
        on_dependency_error("database_pool")
        return problem_response(
            503,
            "overloaded",
            "The service is overloaded",
            "Every database connection is busy; please retry shortly",
            {"Retry-After": str(OVERLOAD_RETRY_AFTER)},
        )

    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in dependency_errors:
        app.add_exception_handler(error, dependency_down)
    app.add_exception_handler(PoolTimeout, overloaded)
    # Anything else: service_kit.last_resort.LastResortErrors, the outermost middleware.


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        exc.status_code, exc.code, exc.title, exc.detail, exc.headers, **exc.extra
    )


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(
            400, "malformed_json", "Malformed JSON", "The request body is not valid JSON"
        )
    # Field and message only: echoing the input back could reflect a 64 KiB body.
    details = [
        {"field": _field_of(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in errors
    ]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in details)
    return problem_response(
        422, "validation_failed", "The request is not valid", detail, errors=details
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    title = code.replace("_", " ").capitalize()
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request.app, request.url.path)
    return problem_response(exc.status_code, code, title, str(exc.detail), headers)


def allowed_methods(app: FastAPI, path: str) -> str:
    """Every method of every route matching `path`, for a 405's `Allow` header.

    Starlette's own 405 names only the first matching route's methods (GET, say, where
    POST is served by another route of the same path).
    """
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        app.state, "gatehouse_allow_table", None
    )
    if table is None:
        table = [
            (
                re.compile("^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(template)) + "$"),
                [method.upper() for method in operations],
            )
            for template, operations in app.openapi().get("paths", {}).items()
        ]
        app.state.gatehouse_allow_table = table
    methods = {method for pattern, found in table if pattern.match(path) for method in found}
    return ", ".join(sorted(methods))
