"""The error base of a service and its rendering as RFC 9457 problem+json.

Every answer has `type`, `title`, `status`, `detail` and a stable machine `code`;
validation errors add `errors: [{field, message}]`. A service keeps its own list of
errors, each a subclass of `AppError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "PROBLEM_JSON",
    "AppError",
    "FieldError",
    "PayloadTooLarge",
    "Problem",
    "ProblemDocs",
    "problem_response",
    "problem_response_doc",
    "problem_type",
]

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


# auth-client answers its own errors (401, 403, 503) with a model of this name and shape:
# an app documenting both keeps one `Problem` schema only while the two stay identical.
class Problem(BaseModel):
    """An RFC 9457 problem detail; a validation error adds `errors`, one per field."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


def problem_type(code: str) -> str:
    return f"urn:gatehouse:problem:{code}"


def problem_response_doc(description: str) -> dict[str, Any]:
    """One entry of a route's `responses=`: a problem+json body described by `Problem`."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": schema}},
    }


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


class ProblemDocs:
    """A route's `responses=`: its problem+json errors, for a complete OpenAPI document.

    `descriptions` words each status for this service; `always` are the statuses every
    route may answer (a malformed body, the size limit, a dependency down…).
    """

    def __init__(self, descriptions: Mapping[int, str], always: Iterable[int]) -> None:
        self.descriptions, self.always = dict(descriptions), frozenset(always)

    def __call__(self, *statuses: int) -> dict[int | str, dict[str, Any]]:
        return {
            status: problem_response_doc(self.descriptions.get(status, "Error"))
            for status in sorted({*statuses, *self.always})
        }
