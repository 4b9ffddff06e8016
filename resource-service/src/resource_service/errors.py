"""The service's errors and their rendering as RFC 9457 problem+json.

The shape is the one the auth service and auth-client use: `type`, `title`, `status`,
`detail`, and a stable machine `code`; validation errors add `errors: [{field, message}]`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from auth_client.fastapi import PROBLEM_JSON, allowed_methods, problem_response_doc, problem_type
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("resource_service.errors")


class AppError(Exception):
    """An error a client can act on: a status, a stable machine `code`, a human `detail`."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.title
        self.headers = headers or {}
        super().__init__(self.detail)


class NotFound(AppError):
    status_code, code, title = 404, "not_found", "Not found"


class PayloadTooLarge(StarletteHTTPException):
    """An HTTPException so that FastAPI's body parsing lets it through unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes")


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


_DESCRIPTIONS = {
    400: "Malformed request (e.g. the body is not JSON)",
    401: "No access token, or one that is not valid",
    403: "The access token lacks a required scope",
    404: "No such resource, or it belongs to someone else",
    413: "The request body is too large",
    422: "The request is not valid",
    503: "A dependency (the database, the issuer's keys) is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: its problem+json errors, for a complete OpenAPI document."""
    return {
        status: problem_response_doc(_DESCRIPTIONS.get(status, "Error"))
        for status in sorted({*statuses, 401, 422, 503})
    }


# --- handlers ------------------------------------------------------------------------------


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, AppError):  # pragma: no cover - registered for AppError only
        raise exc
    return problem_response(exc.status_code, exc.code, exc.title, exc.detail, exc.headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover
        raise exc
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
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
        raise exc
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    title = code.replace("_", " ").capitalize()
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request.app, request.url.path)
    return problem_response(exc.status_code, code, title, str(exc.detail), headers)


async def _dependency_down(_: Request, exc: Exception) -> JSONResponse:
    # Fail closed and say so: a 503 the client may retry, not a 500.
    logger.warning("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503,
        "unavailable",
        "A dependency of the service is unavailable",
        "Please retry shortly",
        {"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI, dependency_errors: tuple[type[Exception], ...]) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in dependency_errors:
        app.add_exception_handler(error, _dependency_down)
    # Anything else: auth_client.observability.LastResortErrors, the outermost middleware.
