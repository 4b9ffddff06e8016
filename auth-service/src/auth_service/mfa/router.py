"""The signed-in user's second factors: an authenticator app (TOTP) and recovery codes.
Turning them on, off or renewing the codes needs a recent log-in (RFC 9470), and while the
account has a second factor, a recent proof of one (`RecentFactorProof`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.deps import CurrentUserId, DbDep
from auth_service.errors import InvalidToken, problem_responses
from auth_service.http.tokens import NO_STORE
from auth_service.mfa.deps import NOTICE_MAILED, FactorProofIfOn, MfaDep, RecentFactorProof
from auth_service.mfa.schemas import CodeBody, RecoveryCodes, TotpEnrolment
from auth_service.users import service as user_service
from auth_service.users.models import User

router = APIRouter(prefix="/mfa", tags=["mfa"], responses=problem_responses(401))


async def _user(db: AsyncSession, user_id: uuid.UUID) -> User:
    user = await user_service.get(db, user_id)
    if user is None:
        raise InvalidToken("The account no longer exists")
    return user


@router.post("/totp", response_model=TotpEnrolment, responses=problem_responses(403, 409))
async def start_totp(
    user_id: CurrentUserId,  # first: a service token is refused as such
    _: RecentFactorProof,
    db: DbDep,
    mfa: MfaDep,
    response: Response,
) -> TotpEnrolment:
    """Starts (or restarts) setting up an authenticator app: its secret, as text, as an
    `otpauth://` URI and as a QR code. Nothing changes at log-in until it is confirmed.
    403 `email_not_verified` until the account's email is verified."""
    enrolment = await mfa.start_totp(db, await _user(db, user_id))
    response.headers.update(NO_STORE)
    return TotpEnrolment(**vars(enrolment))


@router.post(
    "/totp/confirm",
    response_model=RecoveryCodes,
    responses=problem_responses(403, 409),
    dependencies=NOTICE_MAILED,
)
async def confirm_totp(
    body: CodeBody,
    user_id: CurrentUserId,
    principal: FactorProofIfOn,
    db: DbDep,
    mfa: MfaDep,
    response: Response,
) -> RecoveryCodes:
    """The app's first code turns it on: from now on log-in asks for a code, and every other
    session of the account ends. Answers the ten recovery codes, shown this once."""
    assert principal.sid is not None  # CurrentUserId accepts a user's token only
    user = await _user(db, user_id)
    codes = await mfa.confirm_totp(db, user, body.code, principal.sid)
    response.headers.update(NO_STORE)
    return RecoveryCodes(recovery_codes=codes)


@router.delete("/totp", status_code=status.HTTP_204_NO_CONTENT, dependencies=NOTICE_MAILED)
async def turn_off_totp(
    user_id: CurrentUserId, _: RecentFactorProof, db: DbDep, mfa: MfaDep
) -> Response:
    """Removes the authenticator app and the recovery codes."""
    await mfa.turn_off(db, await _user(db, user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/recovery-codes",
    response_model=RecoveryCodes,
    responses=problem_responses(409),
    dependencies=NOTICE_MAILED,
)
async def new_recovery_codes(
    user_id: CurrentUserId, _: RecentFactorProof, db: DbDep, mfa: MfaDep, response: Response
) -> RecoveryCodes:
    """A new set of ten recovery codes; the old set stops working."""
    codes = await mfa.regenerate_recovery_codes(db, await _user(db, user_id))
    response.headers.update(NO_STORE)
    return RecoveryCodes(recovery_codes=codes)
