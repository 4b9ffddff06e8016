"""Password change and reset, email verification and change: the account's lifecycle by
mail. Links carry their token in the URL fragment; the web app's page POSTs it here."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status

from auth_service.account.deps import AccountDep, EmailsDep
from auth_service.account.schemas import (
    Accepted,
    EmailAddress,
    EmailChange,
    LinkTokenBody,
    PasswordChange,
    PasswordReset,
)
from auth_service.deps import CurrentUserId, DbDep, OptionalUserId, RecentLogin, SettingsDep
from auth_service.errors import ValidationFailed, problem_responses
from auth_service.http.clientip import client_ip
from auth_service.mail.deps import MailSenderDep

router = APIRouter(tags=["account"])

_NO_CONTENT = status.HTTP_204_NO_CONTENT
_ACCEPTED = status.HTTP_202_ACCEPTED


def _ip(request: Request, settings: SettingsDep) -> str:
    return client_ip(request, settings.trusted_networks)


@router.post("/password", status_code=_NO_CONTENT, responses=problem_responses(401, 403, 429))
async def change_password(
    body: PasswordChange,
    request: Request,
    user_id: CurrentUserId,  # first: a service token is refused as such
    principal: RecentLogin,
    db: DbDep,
    account: AccountDep,
    settings: SettingsDep,
    sender: MailSenderDep,
    background: BackgroundTasks,
) -> Response:
    """Needs a recent log-in. Every other session of the user ends; a notice is mailed."""
    assert principal.sid is not None
    await account.change_password(
        db,
        user_id,
        principal.sid,
        body.current_password,
        body.new_password,
        _ip(request, settings),
    )
    background.add_task(sender.wake)  # after the commit: the mail is in the outbox then
    return Response(status_code=_NO_CONTENT)


@router.post(
    "/password/forgot",
    status_code=_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(429),
)
async def forgot_password(
    body: EmailAddress,
    request: Request,
    db: DbDep,
    account: AccountDep,
    settings: SettingsDep,
    sender: MailSenderDep,
    background: BackgroundTasks,
) -> Accepted:
    """202 always (the same answer for an unknown email); an account gets a reset link."""
    await account.forgot_password(db, body.email, _ip(request, settings))
    background.add_task(sender.wake)
    return Accepted()


@router.post("/password/reset", status_code=_NO_CONTENT, responses=problem_responses())
async def reset_password(body: PasswordReset, db: DbDep, account: AccountDep) -> Response:
    """The link's token (single use, 30 minutes); every session of the user ends."""
    await account.reset_password(db, body.token, body.new_password)
    return Response(status_code=_NO_CONTENT)


@router.post("/email/verify", status_code=_NO_CONTENT, responses=problem_responses())
async def verify_email(body: LinkTokenBody, db: DbDep, emails: EmailsDep) -> Response:
    await emails.verify(db, body.token)
    return Response(status_code=_NO_CONTENT)


@router.post(
    "/email/verify/resend",
    status_code=_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(401, 429),
)
async def resend_verification(
    request: Request,
    user_id: OptionalUserId,
    db: DbDep,
    emails: EmailsDep,
    settings: SettingsDep,
    sender: MailSenderDep,
    background: BackgroundTasks,
    body: EmailAddress | None = None,
) -> Accepted:
    """A new verification link, older ones void: for the Bearer token's user, or (for one
    who cannot log in yet) by `{email}`, with the same 202 for an unknown address."""
    if user_id is not None:
        await emails.resend_to_user(db, user_id, _ip(request, settings))
    elif body is not None:
        await emails.resend_to_address(db, body.email, _ip(request, settings))
    else:
        raise ValidationFailed("email", "Send a Bearer token, or the account's email")
    background.add_task(sender.wake)
    return Accepted()


@router.post(
    "/email/change",
    status_code=_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(401, 403, 409, 429),
)
async def change_email(
    body: EmailChange,
    request: Request,
    user_id: CurrentUserId,  # first: a service token is refused as such
    principal: RecentLogin,
    db: DbDep,
    emails: EmailsDep,
    settings: SettingsDep,
    sender: MailSenderDep,
    background: BackgroundTasks,
) -> Accepted:
    """Needs a recent log-in. A confirmation link goes to the new address (1 hour), a
    notice to the current one."""
    await emails.request_change(db, user_id, body.new_email, body.password, _ip(request, settings))
    background.add_task(sender.wake)
    return Accepted()


@router.post("/email/change/confirm", status_code=_NO_CONTENT, responses=problem_responses(409))
async def confirm_email_change(body: LinkTokenBody, db: DbDep, emails: EmailsDep) -> Response:
    await emails.confirm_change(db, body.token)
    return Response(status_code=_NO_CONTENT)
