"""Sign-in by mail: `POST /login/email` mails a link and a code; `POST /login/email/verify`
takes either and answers like `/login`. `AUTH_EMAIL_LOGIN=false`: both answer 404."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from fastapi.responses import JSONResponse

from auth_service.account.deps import SignInDep
from auth_service.account.schemas import Accepted, EmailAddress, EmailSignInProof
from auth_service.account.signin import EmailSignInService
from auth_service.deps import DbDep, SettingsDep
from auth_service.errors import NotFound, problem_responses
from auth_service.http.clientip import client_ip
from auth_service.http.tokens import NO_STORE, TokenResponse, with_refresh_cookie
from auth_service.mail.deps import MailSenderDep
from auth_service.mfa.schemas import MfaRequired

router = APIRouter(tags=["auth"])


def _enabled(sign_in: EmailSignInService) -> None:
    if not sign_in.options.enabled:
        raise NotFound("Sign-in by mail is turned off here")


@router.post(
    "/login/email",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(404, 429),
)
async def request_sign_in_mail(
    body: EmailAddress,
    request: Request,
    db: DbDep,
    sign_in: SignInDep,
    settings: SettingsDep,
    sender: MailSenderDep,
    background: BackgroundTasks,
) -> Accepted:
    """202 always (the same answer for an unknown email): the account's address gets one
    mail with a sign-in link and a 6-digit code (10 minutes; a new request replaces them)."""
    _enabled(sign_in)
    await sign_in.request(db, body.email, client_ip(request, settings.trusted_networks))
    background.add_task(sender.wake)  # after the commit: the mail is in the outbox then
    return Accepted()


@router.post(
    "/login/email/verify",
    response_model=TokenResponse | MfaRequired,
    responses=problem_responses(401, 404, 429),
)
async def sign_in_with_mail(
    body: EmailSignInProof,
    request: Request,
    response: Response,
    db: DbDep,
    sign_in: SignInDep,
    settings: SettingsDep,
) -> TokenResponse | JSONResponse:
    """The link's `token` (400 when it does not work), or the `email` and the `code` (401
    `invalid_sign_in_code`; 5 wrong codes void it): the session, or `mfa_required` as
    `/login` answers it when the account has a second factor."""
    _enabled(sign_in)
    ip, user_agent = (
        client_ip(request, settings.trusted_networks),
        request.headers.get("user-agent", ""),
    )
    if body.token is not None:
        outcome = await sign_in.with_token(db, body.token, user_agent=user_agent, ip=ip)
    else:
        assert body.email is not None and body.code is not None
        outcome = await sign_in.with_code(db, body.email, body.code, user_agent=user_agent, ip=ip)
    if isinstance(outcome, MfaRequired):
        return JSONResponse(outcome.model_dump(), headers=NO_STORE)
    return with_refresh_cookie(outcome, settings, response)
