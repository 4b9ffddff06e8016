"""Sign-up, log-in, refresh, log-out: the endpoints a browser calls."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from fastapi.responses import JSONResponse

from auth_service.auth.deps import AuthDep, SecondStepDep
from auth_service.auth.schemas import (
    Credentials,
    Profile,
    ReauthProof,
    VerificationRequired,
)
from auth_service.deps import CurrentPrincipal, CurrentUserId, DbDep, SettingsDep
from auth_service.errors import AppError, NotFound, problem_responses
from auth_service.http.clientip import client_ip
from auth_service.http.cookies import REFRESH_COOKIE, cleared_cookie
from auth_service.http.csrf import check_cookie_request
from auth_service.http.tokens import NO_STORE, TokenResponse, with_refresh_cookie
from auth_service.mail.deps import MailSenderDep
from auth_service.mfa.deps import MfaDep
from auth_service.mfa.schemas import MfaLogIn, MfaRequired
from auth_service.sessions.deps import SessionsDep
from auth_service.users import service as user_service

router = APIRouter(tags=["auth"])


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenResponse,
    responses={
        202: {
            "model": VerificationRequired,
            "description": "AUTH_REQUIRE_VERIFIED_EMAIL=true: no session until the email "
            "is verified (the same answer when the email already has an account)",
        },
        **problem_responses(400, 409, 413),
    },
)
async def sign_up(
    body: Credentials,
    request: Request,
    response: Response,
    db: DbDep,
    auth: AuthDep,
    settings: SettingsDep,
    sender: MailSenderDep,
    background: BackgroundTasks,
) -> TokenResponse | JSONResponse:
    """Creates the account and mails a verification link."""
    background.add_task(sender.wake)  # runs after the commit: the mail is queued then
    pair = await auth.sign_up(
        db,
        email=body.email,
        password=body.password,
        user_agent=request.headers.get("user-agent", ""),
        ip=client_ip(request, settings.trusted_networks),
    )
    if pair is None:
        return JSONResponse(VerificationRequired().model_dump(), status_code=202, headers=NO_STORE)
    return with_refresh_cookie(pair, settings, response)


@router.post(
    "/login",
    response_model=TokenResponse | MfaRequired,
    responses=problem_responses(400, 401, 403, 413, 429),
)
async def log_in(
    body: Credentials,
    request: Request,
    response: Response,
    db: DbDep,
    auth: AuthDep,
    settings: SettingsDep,
) -> TokenResponse | JSONResponse:
    """The session; or, when the account has a second factor, `mfa_required` with the
    `mfa_token` for `POST /login/mfa` (and no token, no cookie yet)."""
    outcome = await auth.log_in(
        db,
        email=body.email,
        password=body.password,
        user_agent=request.headers.get("user-agent", ""),
        ip=client_ip(request, settings.trusted_networks),
    )
    if isinstance(outcome, MfaRequired):
        return JSONResponse(outcome.model_dump(), headers=NO_STORE)
    return with_refresh_cookie(outcome, settings, response)


@router.post(
    "/login/mfa", response_model=TokenResponse, responses=problem_responses(400, 401, 413, 429)
)
async def log_in_second_step(
    body: MfaLogIn,
    request: Request,
    response: Response,
    db: DbDep,
    second_step: SecondStepDep,
    settings: SettingsDep,
) -> TokenResponse:
    """The second step of a log-in: its `mfa_token` and a `code` of the authenticator app,
    a `recovery_code`, or `webauthn`: the assertion of one of the user's passkeys (options
    from `POST /webauthn/login/options`). 401 `invalid_mfa_code` for a wrong one (5 per log-in), 401
    `invalid_mfa_token` when the log-in is over (expired, used, too many wrong codes)."""
    pair = await second_step.complete(
        db,
        body,
        user_agent=request.headers.get("user-agent", ""),
        ip=client_ip(request, settings.trusted_networks),
    )
    return with_refresh_cookie(pair, settings, response)


@router.post("/refresh", response_model=TokenResponse, responses=problem_responses(401, 403))
async def refresh(
    request: Request,
    response: Response,
    db: DbDep,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> TokenResponse:
    check_cookie_request(request, settings)
    try:
        pair = await sessions.rotate(db, request.cookies.get(REFRESH_COOKIE))
    except AppError as exc:  # a dead session's cookie is of no use to the browser: drop it
        exc.headers["Set-Cookie"] = cleared_cookie(settings)
        raise
    return with_refresh_cookie(pair, settings, response)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(403))
async def log_out(
    request: Request, db: DbDep, sessions: SessionsDep, settings: SettingsDep
) -> Response:
    check_cookie_request(request, settings)
    await sessions.end_by_token(db, request.cookies.get(REFRESH_COOKIE))
    return Response(status_code=204, headers={"Set-Cookie": cleared_cookie(settings)})


@router.post(
    "/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401)
)
async def log_out_everywhere(
    user_id: CurrentUserId, db: DbDep, sessions: SessionsDep, settings: SettingsDep
) -> Response:
    await sessions.end_all(db, user_id)
    return Response(status_code=204, headers={"Set-Cookie": cleared_cookie(settings)})


@router.post("/reauth", response_model=TokenResponse, responses=problem_responses(401, 403, 429))
async def reauthenticate(
    body: ReauthProof,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    user_id: CurrentUserId,
    db: DbDep,
    auth: AuthDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Proves the user again (RFC 9470 step-up) with the password, a code of the
    authenticator app or a passkey: an access token of the same session with a fresh
    `auth_time` and the `amr` of that proof. The refresh cookie stays; its next refresh
    carries both."""
    assert principal.sid is not None  # CurrentUserId accepts a user's token only
    ip = client_ip(request, settings.trusted_networks)
    access_token, expires_in = await auth.reauthenticate(db, user_id, principal.sid, body, ip)
    response.headers.update(NO_STORE)
    return TokenResponse(access_token=access_token, expires_in=expires_in)


@router.get("/me", response_model=Profile, responses=problem_responses(401, 404))
async def me(user_id: CurrentUserId, db: DbDep, mfa: MfaDep) -> Profile:
    user = await user_service.get(db, user_id)
    if user is None:
        raise NotFound("The account no longer exists")
    profile = Profile.model_validate(user, from_attributes=True)
    profile.mfa_enabled = await mfa.required(db, user_id)
    return profile
