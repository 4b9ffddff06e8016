"""The refresh cookie, written by hand so its attributes are exactly the contract's."""

from __future__ import annotations

from auth_service.config import Settings

REFRESH_COOKIE = "refresh_token"
COOKIE_PATH = "/api/auth"


def refresh_cookie(settings: Settings, token: str, max_age: int) -> str:
    secure = "; Secure" if settings.cookie_secure else ""
    return (
        f"{REFRESH_COOKIE}={token}; HttpOnly; SameSite=Strict; Path={COOKIE_PATH}; "
        f"Max-Age={max_age}{secure}"
    )


def cleared_cookie(settings: Settings) -> str:
    return refresh_cookie(settings, "", 0)
