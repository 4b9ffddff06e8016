"""Passkeys: enrolment and the user's list of them (service.py: using one)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy.exc
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record
from auth_service.errors import EmailNotVerified, InvalidToken, NotFound
from auth_service.mfa.notices import SecurityNotices
from auth_service.observability.metrics import Metrics
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.service import end_user_sessions
from auth_service.timeutil import Clock
from auth_service.users import repository as users
from auth_service.users.models import User
from auth_service.webauthn import repository
from auth_service.webauthn.challenges import Ceremony, Challenges, Issued
from auth_service.webauthn.errors import PasskeyExists, RegistrationRejected
from auth_service.webauthn.models import Passkey
from auth_service.webauthn.relyingparty import (
    Malformed,
    Rejected,
    RelyingParty,
    framed_by_another_site,
    parse_registration,
)

DEFAULT_NAME = "Passkey"
MAX_CREDENTIAL_ID = 1023  # bytes (WebAuthn Level 3, 7.1 step 20)


class PasskeyEnrolment:
    """A signed-in user's passkeys: enrol one (on a verified email only), list, rename,
    remove; each addition and removal is mailed to the owner."""

    def __init__(
        self,
        rp: RelyingParty,
        challenges: Challenges,
        metrics: Metrics,
        notices: SecurityNotices,
        ledger: RotationLedger,
        clock: Clock,
    ) -> None:
        self._rp, self._challenges, self._metrics = rp, challenges, metrics
        self._notices, self._ledger, self._clock = notices, ledger, clock

    async def options(self, db: AsyncSession, user_id: uuid.UUID, name: str) -> dict[str, Any]:
        """PublicKeyCredentialCreationOptions (JSON) for a new passkey of this user."""
        user = await _verified_user(db, user_id)
        existing = await repository.of_user(db, user_id)
        challenge = await self._challenges.issue(Issued(Ceremony.REGISTER, str(user_id), name))
        # The user handle is the account's id: random, and no personal data.
        return self._rp.creation_options(
            challenge,
            user_id.bytes,
            user.email,
            [(passkey.credential_id, passkey.transports) for passkey in existing],
        )

    async def register(
        self, db: AsyncSession, user_id: uuid.UUID, credential: dict[str, Any], name: str | None
    ) -> Passkey:
        user = await _verified_user(db, user_id)
        try:
            parsed, challenge = parse_registration(credential)
        except Malformed as exc:
            raise RegistrationRejected(f"The browser's answer is not usable: {exc}") from exc
        issued = await self._challenges.take(challenge)
        if issued is None or issued.ceremony is not Ceremony.REGISTER:
            raise RegistrationRejected("This enrolment expired or was already used: start again")
        if framed_by_another_site(parsed.response.client_data_json):
            raise RegistrationRejected("The passkey was made in a frame of another site: refused")
        if issued.user_id != str(user_id):
            raise RegistrationRejected("This enrolment was started by another account")
        try:
            verified = self._rp.verify_registration(parsed, challenge)
        except Rejected as exc:
            self._metrics.account_flows.labels("passkey_register", "rejected").inc()
            raise RegistrationRejected(str(exc)) from exc
        if verified.credential_id != parsed.raw_id or len(parsed.raw_id) > MAX_CREDENTIAL_ID:
            raise RegistrationRejected("The credential id does not match the authenticator's")
        if await repository.by_credential_id(db, verified.credential_id) is not None:
            raise PasskeyExists("This passkey is already registered")
        passkey = Passkey(
            user_id=user_id,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=[t.value for t in parsed.response.transports or []],
            name=(name or issued.name or DEFAULT_NAME)[:64],
            aaguid=verified.aaguid,
            backup_eligible=verified.credential_device_type == "multi_device",
            backed_up=verified.credential_backed_up,
        )
        try:
            await repository.add(db, passkey)
        except sqlalchemy.exc.IntegrityError as exc:  # the same passkey, registered meanwhile
            raise PasskeyExists("This passkey is already registered") from exc
        self._metrics.account_flows.labels("passkey_register", "done").inc()
        await self._notices.security_notice(db, user.email, "passkey_added", name=passkey.name)
        await record(
            db,
            Event.PASSKEY_REGISTERED,
            actor=str(user_id),
            subject=str(user_id),
            details={"passkey": str(passkey.id), "aaguid": passkey.aaguid},
        )
        return passkey

    async def list(self, db: AsyncSession, user_id: uuid.UUID) -> list[Passkey]:
        return await repository.of_user(db, user_id)

    async def rename(
        self, db: AsyncSession, user_id: uuid.UUID, passkey_id: uuid.UUID, name: str
    ) -> Passkey:
        passkey = await self._own(db, user_id, passkey_id)
        passkey.name = name
        await repository.save(db, passkey)
        await record(
            db,
            Event.PASSKEY_RENAMED,
            actor=str(user_id),
            subject=str(user_id),
            details={"passkey": str(passkey.id)},
        )
        return passkey

    async def remove(
        self, db: AsyncSession, user_id: uuid.UUID, passkey_id: uuid.UUID, sid: str
    ) -> None:
        """The passkey goes, and every other session of the account with it (one of them
        may have begun with this passkey); session `sid` stays. The owner is mailed."""
        passkey = await self._own(db, user_id, passkey_id)
        user = await users.get(db, user_id)
        if user is None:
            raise InvalidToken("The account no longer exists")
        await repository.delete(db, passkey)
        await self._notices.security_notice(db, user.email, "passkey_removed", name=passkey.name)
        await record(
            db,
            Event.PASSKEY_REMOVED,
            actor=str(user_id),
            subject=str(user_id),
            details={"passkey": str(passkey_id)},
        )
        await end_user_sessions(
            db, self._ledger, user_id, "passkey_removed", self._clock.now(), keep=sid
        )

    @staticmethod
    async def _own(db: AsyncSession, user_id: uuid.UUID, passkey_id: uuid.UUID) -> Passkey:
        passkey = await repository.of_user_by_id(db, user_id, passkey_id)
        if passkey is None:  # another user's passkey is as unknown as no passkey
            raise NotFound("No such passkey")
        return passkey


async def _verified_user(db: AsyncSession, user_id: uuid.UUID) -> User:
    user = await users.get(db, user_id)
    if user is None:
        raise InvalidToken("The account no longer exists")
    if not user.email_verified:
        raise EmailNotVerified(
            "Confirm your email address first: a passkey or an authenticator app can be set "
            "up only once the address is verified (follow the link we mailed you, or ask for "
            "a new one)"
        )
    return user
