"""The answer that hands out tokens: never cached (RFC 6749 §5.1), and for a browser's
session the refresh cookie with it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from starlette.responses import Response

from auth_service.config import Settings
from auth_service.http.cookies import refresh_cookie
from auth_service.sessions.service import TokenPair

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a type name, not a secret)
    expires_in: int


def with_refresh_cookie(pair: TokenPair, settings: Settings, response: Response) -> TokenResponse:
    """The token response of a session that began or rotated: its refresh token goes in
    the cookie, never in the body."""
    response.headers.update(NO_STORE)
    response.headers.append(
        "set-cookie", refresh_cookie(settings, pair.refresh_token, pair.refresh_max_age)
    )
    return TokenResponse(access_token=pair.access_token, expires_in=pair.expires_in)
