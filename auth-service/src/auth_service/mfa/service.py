"""Second factors: enrolment of an authenticator app, recovery codes, the proofs a log-in's
second step (or a step-up) checks, and the administrator's reset."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record
from auth_service.errors import (
    EmailNotVerified,
    MfaAlreadyEnabled,
    MfaNotEnabled,
    MfaNotPending,
    NotFound,
    WrongCode,
)
from auth_service.mfa import recovery, repository, seeds, totp
from auth_service.mfa.models import TotpFactor
from auth_service.mfa.notices import SecurityNotices
from auth_service.mfa.passkey_factor import PasskeyFactor
from auth_service.mfa.schemas import SecondFactor
from auth_service.security.encryption import UserSecrets
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.service import end_user_sessions
from auth_service.timeutil import Clock
from auth_service.users import repository as users
from auth_service.users.models import User

logger = logging.getLogger("auth_service.mfa")

# RFC 8176: what a proved second factor adds to a password log-in's `amr`. A recovery
# code is a one-time password too, so it reads as "otp" (and RFC 8176 has no other value).
OTP_AMR: tuple[str, ...] = ("otp",)
# A passkey: possession of a hardware-secured key.
HWK_AMR: tuple[str, ...] = ("hwk",)
# What a token's `amr` must hold to change the second factors of an account that has one.
SECOND_FACTOR_AMR = frozenset({"otp", "hwk"})


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str


class MfaService:
    def __init__(
        self,
        secrets: UserSecrets,
        passkeys: PasskeyFactor,
        notices: SecurityNotices,
        ledger: RotationLedger,
        clock: Clock,
    ) -> None:
        self._secrets, self._passkeys = secrets, passkeys
        self._notices, self._ledger, self._clock = notices, ledger, clock
        # The clock of the TOTP steps (epoch seconds); tests put a fixed one in its place.
        self.clock: Callable[[], float] = lambda: clock.now().timestamp()

    # --- what a log-in needs -------------------------------------------------------------

    async def required(self, db: AsyncSession, user_id: uuid.UUID) -> bool:
        """Whether a log-in of this user needs a second step: it has a confirmed TOTP."""
        return await repository.is_confirmed(db, user_id)

    async def has_second_factor(self, db: AsyncSession, user_id: uuid.UUID) -> bool:
        """A confirmed authenticator app or a passkey: changing either then needs a proof
        of one of them, not the password alone."""
        return await self.required(db, user_id) or await self._passkeys.has_passkeys(db, user_id)

    async def methods(self, db: AsyncSession, user_id: uuid.UUID) -> list[str]:
        """The second factors a log-in's second step may use (a passkey when the user has
        one; passkeys alone do not make log-in ask for a second step)."""
        if not await self.required(db, user_id):
            return []
        passkey = ["webauthn"] if await self._passkeys.has_passkeys(db, user_id) else []
        return ["totp", "recovery_code", *passkey]

    async def verify(
        self, db: AsyncSession, user_id: uuid.UUID, proof: SecondFactor
    ) -> tuple[str, ...] | None:
        """THE check of a log-in's second factor: the `amr` values it proves, or None when
        it is wrong (a used code is wrong). Each kind of proof is one branch here."""
        if proof.code is not None:
            return OTP_AMR if await self.accept_code(db, user_id, proof.code) else None
        if proof.recovery_code is not None:
            spent = await self.spend_recovery_code(db, user_id, proof.recovery_code)
            return OTP_AMR if spent else None
        if proof.webauthn is not None:
            return HWK_AMR if await self._passkeys.proves(db, user_id, proof.webauthn) else None
        return None

    async def accept_code(self, db: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
        """A code of the user's confirmed authenticator app, never accepted before."""
        factor = await repository.totp_of(db, user_id)
        if factor is None or factor.confirmed_at is None:
            return False
        step = self._matching_step(factor, code)
        if step is None:
            return False
        return await repository.accept_step(db, user_id, step, sealed=factor.secret_sealed)

    async def spend_recovery_code(self, db: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
        canonical = recovery.normalized(code)
        factor = await repository.totp_of(db, user_id)
        if canonical is None or factor is None:
            return False
        seed = self._seed(factor)
        hashes = [recovery.digest(seed, user_id, canonical)] if seed is not None else []
        # Codes made before their key came from the seed: keyed by the key-encryption key.
        hashes += self._secrets.digests(recovery.hash_message(user_id, canonical))
        if not await repository.spend_recovery_code(db, user_id, hashes):
            return False
        left = await repository.recovery_codes_left(db, user_id)
        await record(
            db,
            Event.RECOVERY_CODE_USED,
            actor=str(user_id),
            subject=str(user_id),
            details={"left": left},
        )
        return True

    # --- the user's own settings ---------------------------------------------------------

    async def start_totp(self, db: AsyncSession, user: User) -> Enrolment:
        """A new seed, pending until a first code confirms it (a pending one is replaced);
        403 `email_not_verified` before the account's email is verified."""
        _must_be_verified(user)
        user_id, email = user.id, user.email
        secret = totp.new_secret()
        sealed = self._secrets.seal(secret.encode(), seeds.binding(user_id))
        if not await repository.start_totp(db, user_id, sealed, self._clock.now()):
            raise MfaAlreadyEnabled("Turn the authenticator app off first to set up another")
        uri = totp.provisioning_uri(secret, email)
        return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))

    async def confirm_totp(self, db: AsyncSession, user: User, code: str, sid: str) -> list[str]:
        """The enrolment's first code turns TOTP on: the first set of recovery codes. Every
        other session of the account ends (session `sid` stays); the owner is mailed."""
        _must_be_verified(user)
        user_id = user.id
        factor = await repository.totp_of(db, user_id, for_update=True)
        if factor is None:
            raise MfaNotPending("Start setting up the authenticator app first")
        if factor.confirmed_at is not None:
            raise MfaAlreadyEnabled("The authenticator app is already set up")
        step = self._matching_step(factor, code)
        confirmed = step is not None and await repository.accept_step(
            db, user_id, step, sealed=factor.secret_sealed, confirm_at=self._clock.now()
        )
        if not confirmed:
            raise WrongCode("That code is not right: enter the code your app shows now")
        codes = await self._new_recovery_codes(db, factor)
        logger.info("totp enabled user=%s", user_id)
        await self._notices.security_notice(db, user.email, "totp_enabled")
        await record(db, Event.MFA_ENABLED, actor=str(user_id), subject=str(user_id))
        await end_user_sessions(  # last
            db, self._ledger, user_id, "mfa_enabled", self._clock.now(), keep=sid
        )
        return codes

    async def turn_off(self, db: AsyncSession, user: User) -> None:
        if await repository.remove_all(db, user.id):
            logger.info("totp disabled user=%s", user.id)
            await self._notices.security_notice(db, user.email, "totp_disabled")
            await record(db, Event.MFA_DISABLED, actor=str(user.id), subject=str(user.id))

    async def regenerate_recovery_codes(self, db: AsyncSession, user: User) -> list[str]:
        """A new set; the old one is void."""
        user_id = user.id
        factor = await repository.totp_of(db, user_id, for_update=True)  # one set at a time
        if factor is None or factor.confirmed_at is None:
            raise MfaNotEnabled("Set up an authenticator app first")
        codes = await self._new_recovery_codes(db, factor)
        await self._notices.security_notice(db, user.email, "recovery_codes_renewed")
        await record(db, Event.RECOVERY_CODES_REGENERATED, actor=str(user_id), subject=str(user_id))
        return codes

    # --- administration ------------------------------------------------------------------

    async def reset(self, db: AsyncSession, user_id: uuid.UUID, *, actor: str) -> None:
        """An administrator removes every second factor of the user, passkeys included (the
        device may be lost or stolen), audited with how many of each; 404 for an unknown
        user. The next log-in asks for the password only."""
        user = await users.get(db, user_id)
        if user is None:
            raise NotFound("No such user")
        removed = await self._remove_every_factor(db, user_id)
        logger.warning("second factors reset by an administrator user=%s", user_id)
        if any(removed.values()):
            why = "An administrator removed the second factors of your account."
            await self._notices.security_notice(db, user.email, "factors_removed", why=why)
        await record(db, Event.MFA_RESET, actor=actor, subject=str(user_id), details=removed)

    async def remove_on_verification(self, db: AsyncSession, user: User) -> bool:
        """The account's email is now verified, and it was not: whatever was enrolled
        before (by whoever signed up with the address) goes, TOTP, recovery codes, pending
        log-ins and passkeys, audited and mailed. Whether anything was there (the caller
        then ends the sessions)."""
        removed = await self._remove_every_factor(db, user.id)
        if not any(removed.values()):
            return False
        logger.warning("factors enrolled before the email was verified removed user=%s", user.id)
        why = "Your email address was confirmed, and some settings predate it."
        await self._notices.security_notice(db, user.email, "factors_removed", why=why)
        await record(
            db,
            Event.FACTORS_REMOVED_ON_VERIFY,
            actor=str(user.id),
            subject=str(user.id),
            details=removed,
        )
        return True

    async def void_pending_log_ins(self, db: AsyncSession, user_id: uuid.UUID) -> int:
        """Log-ins waiting for their second step (`mfa_token`s) die: the password they
        proved is no longer the account's."""
        return await repository.remove_challenges(db, user_id)

    async def _remove_every_factor(self, db: AsyncSession, user_id: uuid.UUID) -> dict[str, int]:
        return {
            "totp": int(await repository.remove_all(db, user_id)),
            "passkeys": await self._passkeys.remove_all(db, user_id),
        }

    # --- helpers -------------------------------------------------------------------------

    def _seed(self, factor: TotpFactor) -> bytes | None:
        try:
            return self._secrets.open(factor.secret_sealed, seeds.binding(factor.user_id))
        except InvalidTag:
            logger.error(
                "a TOTP seed does not open: key-encryption key changed? user=%s", factor.user_id
            )
            return None

    def _matching_step(self, factor: TotpFactor, code: str) -> int | None:
        seed = self._seed(factor)
        return None if seed is None else totp.matching_step(seed.decode(), code, self.clock())

    async def _new_recovery_codes(self, db: AsyncSession, factor: TotpFactor) -> list[str]:
        seed = self._seed(factor)
        if seed is None:
            raise MfaNotEnabled("The authenticator app cannot be read: set it up again")
        codes = recovery.new_codes()
        user_id = factor.user_id
        hashes = [recovery.digest(seed, user_id, recovery.normalized(c) or c) for c in codes]
        await repository.replace_recovery_codes(db, user_id, hashes)
        return codes


def _must_be_verified(user: User) -> None:
    if not user.email_verified:
        raise EmailNotVerified(
            "Confirm your email address first: a passkey or an authenticator app can be set "
            "up only once the address is verified (follow the link we mailed you, or ask for "
            "a new one)"
        )
