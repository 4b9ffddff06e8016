"""Passkeys (WebAuthn): enrol, list, rename, remove; log in with a passkey alone."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, status

from auth_service.deps import CurrentUserId, DbDep, SettingsDep
from auth_service.errors import problem_responses
from auth_service.http.clientip import client_ip
from auth_service.http.tokens import NO_STORE, TokenResponse, with_refresh_cookie
from auth_service.mfa.deps import NOTICE_MAILED, RecentFactorProof
from auth_service.webauthn.deps import EnrolmentDep, PasskeysDep
from auth_service.webauthn.models import Passkey
from auth_service.webauthn.schemas import Assertion, NewPasskey, PasskeyOut, Registration, Rename

router = APIRouter(prefix="/webauthn", tags=["passkeys"])


def _out(passkey: Passkey) -> PasskeyOut:
    return PasskeyOut.model_validate(passkey, from_attributes=True)


@router.post("/register/options", responses=problem_responses(401, 403))
async def registration_options(
    body: NewPasskey,
    user_id: CurrentUserId,
    _: RecentFactorProof,
    db: DbDep,
    enrolment: EnrolmentDep,
    response: Response,
) -> dict[str, Any]:
    """PublicKeyCredentialCreationOptions for `navigator.credentials.create()` (resident
    key and user verification required; the user's passkeys excluded). 403
    `email_not_verified` until the account's email is verified; while the account has a
    second factor, the recent log-in must be a proof of one."""
    response.headers.update(NO_STORE)
    return await enrolment.options(db, user_id, body.name)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=PasskeyOut,
    responses=problem_responses(401, 403, 409),
    dependencies=NOTICE_MAILED,
)
async def register(
    body: Registration,
    user_id: CurrentUserId,
    _: RecentFactorProof,
    db: DbDep,
    enrolment: EnrolmentDep,
) -> PasskeyOut:
    """The passkey of `navigator.credentials.create()` (attestation "none" only); a notice
    is mailed to the account."""
    return _out(await enrolment.register(db, user_id, body.credential, body.name))


@router.get("/credentials", response_model=list[PasskeyOut], responses=problem_responses(401))
async def list_passkeys(
    user_id: CurrentUserId, db: DbDep, enrolment: EnrolmentDep
) -> list[PasskeyOut]:
    return [_out(passkey) for passkey in await enrolment.list(db, user_id)]


@router.patch(
    "/credentials/{passkey_id}", response_model=PasskeyOut, responses=problem_responses(401, 404)
)
async def rename_passkey(
    passkey_id: uuid.UUID, body: Rename, user_id: CurrentUserId, db: DbDep, enrolment: EnrolmentDep
) -> PasskeyOut:
    return _out(await enrolment.rename(db, user_id, passkey_id, body.name))


@router.delete(
    "/credentials/{passkey_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404),
    dependencies=NOTICE_MAILED,
)
async def remove_passkey(
    passkey_id: uuid.UUID,
    user_id: CurrentUserId,
    principal: RecentFactorProof,
    db: DbDep,
    enrolment: EnrolmentDep,
) -> Response:
    """Removes the passkey; every other session of the account ends, a notice is mailed."""
    assert principal.sid is not None  # CurrentUserId accepts a user's token only
    await enrolment.remove(db, user_id, passkey_id, principal.sid)
    return Response(status_code=204)


@router.post("/login/options", responses=problem_responses(429))
async def login_options(
    request: Request, passkeys: PasskeysDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """PublicKeyCredentialRequestOptions for `navigator.credentials.get()` (a discoverable
    credential, user verification required); also the options of /reauth and of a log-in's
    second step with a passkey. 429 past `AUTH_WEBAUTHN_OPTIONS_PER_MINUTE` per address."""
    response.headers.update(NO_STORE)
    return await passkeys.assertion_options(client_ip(request, settings.trusted_networks))


@router.post("/login", response_model=TokenResponse, responses=problem_responses(401, 403, 429))
async def log_in(
    body: Assertion,
    request: Request,
    response: Response,
    db: DbDep,
    passkeys: PasskeysDep,
    settings: SettingsDep,
) -> TokenResponse:
    """A passkey alone: 200 the token response and the refresh cookie, as /login."""
    pair = await passkeys.log_in(
        db,
        body.credential,
        user_agent=request.headers.get("user-agent", ""),
        ip=client_ip(request, settings.trusted_networks),
    )
    return with_refresh_cookie(pair, settings, response)
