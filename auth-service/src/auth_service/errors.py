"""The errors of the auth service: each a problem+json answer (service_kit.problems)."""

from __future__ import annotations

from service_kit.problems import AppError, PayloadTooLarge, Problem, ProblemDocs, problem_response

__all__ = [
    "AdminRequired",
    "AppError",
    "CsrfRejected",
    "EmailNotVerified",
    "EmailTaken",
    "InsufficientScope",
    "InvalidCredentials",
    "InvalidMfaCode",
    "InvalidMfaToken",
    "InvalidRefreshToken",
    "InvalidSignInCode",
    "InvalidToken",
    "LastAdmin",
    "LinkExpired",
    "LinkReplaced",
    "LinkTokenRejected",
    "LinkUsed",
    "MfaAlreadyEnabled",
    "MfaNotEnabled",
    "MfaNotPending",
    "MissingToken",
    "NotFound",
    "OwnRoles",
    "PayloadTooLarge",
    "Problem",
    "RateLimited",
    "RefreshTokenReused",
    "ServiceUnavailable",
    "StepUpRequired",
    "ValidationFailed",
    "WrongCode",
    "WrongPassword",
    "problem_response",
    "problem_responses",
]

# The `responses=` of a route: its problem+json errors, for a complete OpenAPI document.
problem_responses = ProblemDocs(
    {
        400: "Malformed request",
        401: "Not authenticated",
        403: "Forbidden",
        404: "Not found",
        409: "Conflict",
        413: "Request body too large",
        422: "Validation failed",
        429: "Too many attempts",
        503: "A dependency is unavailable",
    },
    always=(400, 413, 422, 503),
)


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


class StepUpRequired(AppError):
    """RFC 9470: the token is fine, but its user proved who they are too long ago."""

    status_code, code, title = 401, "insufficient_user_authentication", "Log in again"

    def __init__(self, max_age: int, *, second_factor: bool = False) -> None:
        detail = (
            "This needs a recent proof of your second factor: confirm with a code of your "
            "authenticator app or a passkey (POST /reauth); the password alone is not enough"
            if second_factor
            else "This needs a recent log-in: confirm your password (POST /reauth)"
        )
        super().__init__(
            detail,
            extra={"max_age": max_age, "second_factor": second_factor},
            headers={
                "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                f'{_description(detail)}, max_age="{max_age}"'
            },
        )


class WrongPassword(AppError):
    """A signed-in user's password, confirmed wrongly: 403, so that a client does not take
    it for an expired access token (401) and refresh."""

    status_code, code, title = 403, "wrong_password", "The password is not right"


class WrongCode(AppError):
    """A signed-in user's authentication code, wrong (or already used): 403, as a wrong
    password, so that a client does not take it for an expired access token."""

    status_code, code, title = 403, "wrong_code", "The code is not right"


class InvalidMfaToken(AppError):
    """The `mfa_token` of a log-in's second step is unknown, expired, used or void."""

    status_code, code, title = 401, "invalid_mfa_token", "The log-in has expired"


class InvalidMfaCode(AppError):
    status_code, code, title = 401, "invalid_mfa_code", "Wrong authentication code"


class InvalidSignInCode(AppError):
    """A mailed sign-in code that is wrong, or whose sign-in is over (used, replaced by a
    newer one, expired, too many wrong codes)."""

    status_code, code, title = 401, "invalid_sign_in_code", "Wrong sign-in code"


class MfaAlreadyEnabled(AppError):
    status_code, code, title = 409, "mfa_already_enabled", "An authenticator app is already set up"


class MfaNotPending(AppError):
    status_code, code, title = 409, "mfa_not_pending", "No authenticator app set-up is under way"


class MfaNotEnabled(AppError):
    status_code, code, title = 409, "mfa_not_enabled", "No authenticator app is set up"


class EmailNotVerified(AppError):
    status_code, code, title = 403, "email_not_verified", "The email is not verified yet"


class LinkTokenRejected(AppError):
    """A mailed link's token that does not work; the subclass's code says why."""

    status_code, code, title = 400, "link_invalid", "The link does not work"


class LinkExpired(LinkTokenRejected):
    code, title = "link_expired", "The link has expired"


class LinkUsed(LinkTokenRejected):
    code, title = "link_used", "The link was already used"


class LinkReplaced(LinkTokenRejected):
    code, title = "link_replaced", "A newer link replaced this one"


class NotFound(AppError):
    status_code, code, title = 404, "not_found", "Not found"


class ServiceUnavailable(AppError):
    status_code, code, title = 503, "unavailable", "A dependency of the service is unavailable"
