"""The one error type of the service and its rendering as RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from auth_client.fastapi import allowed_methods
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("auth_service.errors")

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """An error a client can act on: a status, a stable machine `code`, a human `detail`."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"urn:gatehouse:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this service is rendered."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Request body too large",
    422: "Validation failed",
    429: "Too many attempts",
    503: "A dependency is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: its problem+json errors, for a complete OpenAPI document."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in (*statuses, 400, 413, 422, 503)
    }


# --- the errors of the service -------------------------------------------------------------


class ValidationFailed(AppError):
    status_code, code, title = 422, "validation_failed", "The request is not valid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"errors": [{"field": field, "message": message}]})


class EmailTaken(AppError):
    status_code, code, title = 409, "email_taken", "This email is already registered"


class InvalidCredentials(AppError):
    status_code, code, title = 401, "invalid_credentials", "Wrong email or password"


def _description(detail: str | None) -> str:
    text = (detail or "The access token is not valid").replace('"', "'")
    return f'error_description="{text}"'


class InvalidToken(AppError):
    status_code, code, title = 401, "invalid_token", "The access token is not valid"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail,
            headers={"WWW-Authenticate": f'Bearer error="invalid_token", {_description(detail)}'},
        )


class MissingToken(AppError):
    status_code, code, title = 401, "missing_token", "An access token is required"

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": 'Bearer realm="gatehouse"'})


class InsufficientScope(AppError):
    status_code, code, title = 403, "insufficient_scope", "The token lacks a required scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"This needs the scope '{scope}'",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )


class InvalidRefreshToken(AppError):
    status_code, code, title = 401, "invalid_refresh_token", "The session is not valid"


class RefreshTokenReused(AppError):
    status_code, code, title = 401, "refresh_token_reused", "The session was ended"


class CsrfRejected(AppError):
    status_code, code, title = 403, "csrf_rejected", "Cross-site request refused"


class RateLimited(AppError):
    status_code, code, title = 429, "rate_limited", "Too many failed attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Try again in {retry_after} seconds", headers={"Retry-After": str(retry_after)}
        )


class LastAdmin(AppError):
    status_code, code, title = 409, "last_admin", "The last administrator cannot lose the role"


class AdminRequired(AppError):
    """The token says `admin`, but its user or client no longer holds that power."""

    status_code, code, title = 403, "admin_required", "Administrator rights are required"


class OwnRoles(AppError):
    status_code, code, title = 403, "own_roles", "Administrators cannot change their own roles"


class NotFound(AppError):
    status_code, code, title = 404, "not_found", "Not found"


class ServiceUnavailable(AppError):
    status_code, code, title = 503, "unavailable", "A dependency of the service is unavailable"


class PayloadTooLarge(StarletteHTTPException):
    """An HTTPException so that FastAPI's body parsing lets it through unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes")


# --- rendering -----------------------------------------------------------------------------


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
    details = [
        {"field": _field_of(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in errors
    ]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in details)
    return problem_response(
        422, "validation_failed", "The request is not valid", detail, errors=details
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    title = code.replace("_", " ").capitalize()
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request.app, request.url.path)
    return problem_response(exc.status_code, code, title, str(exc.detail), headers)


# Seconds a client is asked to wait when every pooled database connection is busy.
OVERLOAD_RETRY_AFTER = 2


async def _overloaded(request: Request, exc: Exception) -> JSONResponse:
    # Every pooled connection stayed busy for the whole pool timeout: overload, not a bug.
    logger.warning("database pool exhausted: %s", type(exc).__name__)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.dependency_errors.labels("database_pool").inc()
    return problem_response(
        503,
        "overloaded",
        "The service is overloaded",
        "Every database connection is busy; please retry shortly",
        {"Retry-After": str(OVERLOAD_RETRY_AFTER)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PoolTimeout, _overloaded)
    # Anything else: auth_client.observability.LastResortErrors, the outermost middleware.


async def _dependency_down(request: Request, exc: Exception) -> JSONResponse:
    # Fail closed: without the database or the denylist nothing is decided, nothing is lost.
    dependency = "redis" if type(exc).__module__.startswith("redis") else "database"
    logger.warning("dependency unavailable: %s (%s)", dependency, type(exc).__name__)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.dependency_errors.labels(dependency).inc()
    return problem_response(
        503,
        "unavailable",
        "A dependency of the service is unavailable",
        "Please retry shortly",
        {"Retry-After": "1"},
    )


def install_dependency_handlers(app: FastAPI, errors: tuple[type[Exception], ...]) -> None:
    for error in errors:
        app.add_exception_handler(error, _dependency_down)
