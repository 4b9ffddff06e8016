"""Cookie-authenticated endpoints need a custom header and an allowed (or absent) Origin."""

from __future__ import annotations

from starlette.requests import Request

from auth_service.config import Settings
from auth_service.errors import CsrfRejected


def check_cookie_request(request: Request, settings: Settings) -> None:
    # A cross-site form cannot set a custom header; a cross-site fetch with one is preflighted.
    if "x-requested-with" not in request.headers:
        raise CsrfRejected("The header X-Requested-With is required")
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in settings.origins:
        raise CsrfRejected("This origin is not allowed")
