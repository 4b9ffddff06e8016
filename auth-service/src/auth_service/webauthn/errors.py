"""The refusals of the passkey ceremonies (problem+json, like every error of the service)."""

from __future__ import annotations

from auth_service.errors import AppError


class PasskeyRejected(AppError):
    """An assertion that does not prove anything: unknown, forged, replayed, cloned…"""

    status_code, code, title = 401, "passkey_rejected", "The passkey was not accepted"


class UnknownPasskey(PasskeyRejected):
    code, title = "passkey_unknown", "This passkey is not registered here"


class PasskeyNotConfirmed(AppError):
    """/reauth with a passkey that does not prove this user: 403 (as a wrong password), so
    that a client does not take it for an expired access token and refresh."""

    status_code, code, title = 403, "passkey_rejected", "The passkey was not accepted"


class RegistrationRejected(AppError):
    status_code = 400
    code, title = "passkey_registration_rejected", "The passkey could not be registered"


class PasskeyExists(AppError):
    status_code, code, title = 409, "passkey_exists", "This passkey is already registered"
