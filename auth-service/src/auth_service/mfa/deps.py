"""The mfa slice's service, as a dependency (from the registry), and the step-up rule
of the endpoints that add or remove a second factor."""

from __future__ import annotations

import uuid
from typing import Annotated, Protocol

from auth_client import Principal
from fastapi import BackgroundTasks, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.deps import (
    ClockDep,
    CurrentPrincipal,
    CurrentUserId,
    DbDep,
    Provider,
    RecentLogin,
    SettingsDep,
    recent_login,
)
from auth_service.errors import StepUpRequired
from auth_service.mail.deps import MailSenderDep
from auth_service.mfa.service import SECOND_FACTOR_AMR, MfaService


class MfaNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def mfa(self) -> MfaService: ...


provide = Provider[MfaNeeds]()

MfaDep = Annotated[MfaService, Depends(provide(lambda r: r.mfa))]


async def _proves_a_factor_if_on(
    principal: Principal, user_id: uuid.UUID, db: AsyncSession, mfa: MfaService, max_age: int
) -> None:
    if not await mfa.has_second_factor(db, user_id):
        return
    amr = principal.claims.get("amr")
    if not isinstance(amr, list) or not SECOND_FACTOR_AMR.intersection(amr):
        raise StepUpRequired(max_age, second_factor=True)


async def recent_factor_proof(
    user_id: CurrentUserId, principal: RecentLogin, db: DbDep, mfa: MfaDep, settings: SettingsDep
) -> Principal:
    """ "Recent log-in" for adding or removing a second factor: a fresh `auth_time`, and
    while the account has a second factor, a token whose `amr` proves one of them (`otp`
    or `hwk`): the password alone, even just confirmed, is refused (401 step-up)."""
    await _proves_a_factor_if_on(principal, user_id, db, mfa, settings.reauth_max_age)
    return principal


async def factor_proof_if_on(
    user_id: CurrentUserId,
    principal: CurrentPrincipal,
    db: DbDep,
    mfa: MfaDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Principal:
    """The same rule, only while the account already has a second factor (the confirmation
    of an enrolment that a recent log-in started)."""
    if await mfa.has_second_factor(db, user_id):
        await recent_login(principal, settings, clock)
        await _proves_a_factor_if_on(principal, user_id, db, mfa, settings.reauth_max_age)
    return principal


RecentFactorProof = Annotated[Principal, Depends(recent_factor_proof)]
FactorProofIfOn = Annotated[Principal, Depends(factor_proof_if_on)]


async def wake_mail_after(sender: MailSenderDep, background: BackgroundTasks) -> None:
    """For a route that may queue a notice: the sender is woken once the request committed
    (a background task runs after the response, so after the commit)."""
    background.add_task(sender.wake)


NOTICE_MAILED = [Depends(wake_mail_after)]
