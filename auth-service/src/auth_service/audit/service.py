"""The audit trail of security events, in PostgreSQL.

`record` writes inside the request's transaction, so an event exists exactly when its
action does. The event of a request that then fails on purpose (a wrong password) is
committed before the error, with `transactions.commit_now(db, Why.REFUSAL_AUDITED)`.

Nothing writes an event through a session of its own: it goes on the request's connection.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from service_kit.requestid import client_ip_var, request_id_var
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit import repository
from auth_service.audit.models import AuditEvent

logger = logging.getLogger("auth_service.audit")


class Event(StrEnum):
    SIGNUP = "signup"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    REFRESH_REUSE = "refresh_reuse_revoked_session"
    LOGOUT = "logout"
    LOGOUT_ALL = "logout_all"
    SESSION_REVOKED = "session_revoked"
    ROLES_CHANGED = "roles_changed"
    CLIENT_CREATED = "client_created"
    CLIENT_DELETED = "client_deleted"
    CLIENT_UPDATED = "client_updated"
    CLIENT_REGISTERED = "client_registered"  # by the application itself (RFC 7591)
    REGISTRATION_TOKEN_CREATED = "registration_token_created"  # noqa: S105 (an event name)
    KEY_ROTATED = "key_rotated"
    KEY_REVOKED = "key_revoked"
    SESSIONS_ENDED_BY_ADMIN = "sessions_ended_by_admin"
    BOOTSTRAP_ADMIN_APPLIED = "bootstrap_admin_applied"
    SIGNUP_EXISTING_EMAIL = "signup_existing_email"
    REAUTHENTICATED = "reauthenticated"
    REAUTH_FAILED = "reauth_failed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 (an event name)
    PASSWORD_RESET = "password_reset"  # noqa: S105 (an event name)
    EMAIL_VERIFICATION_SENT = "email_verification_sent"
    EMAIL_VERIFIED = "email_verified"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    LINK_REJECTED = "link_rejected"
    EMAIL_SIGN_IN_REQUESTED = "email_sign_in_requested"
    EMAIL_SIGN_IN_FAILED = "email_sign_in_failed"
    MAIL_GIVEN_UP = "mail_given_up"
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"
    MFA_RESET = "mfa_reset_by_admin"
    FACTORS_REMOVED_ON_VERIFY = "factors_removed_on_email_verification"
    MFA_FAILED = "mfa_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    PASSKEY_REGISTERED = "passkey_registered"
    PASSKEY_RENAMED = "passkey_renamed"
    PASSKEY_REMOVED = "passkey_removed"
    PASSKEY_REJECTED = "passkey_assertion_failed"
    PASSKEY_CLONED = "passkey_cloned_authenticator"


def event_row(
    event: Event,
    actor: str | None,
    subject: str | None,
    session_id: str | None,
    details: dict[str, Any] | None,
) -> AuditEvent:
    # Address and request id come from the request being served, when there is one.
    return AuditEvent(
        event=event.value,
        actor=actor,
        subject=subject,
        session_id=session_id,
        ip_address=client_ip_var.get(),
        request_id=request_id_var.get(),
        details=details or {},
    )


async def record(
    db: AsyncSession,
    event: Event,
    *,
    actor: str | None = None,
    subject: str | None = None,
    session_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await repository.add(db, event_row(event, actor, subject, session_id, details))


async def page(
    db: AsyncSession, *, limit: int, before: int | None, event: str | None
) -> list[AuditEvent]:
    return await repository.page(db, limit=limit, before=before, event=event)
