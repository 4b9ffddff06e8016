"""Using a passkey: log-in with a passkey alone, proving it again (/reauth), and the one
check of an assertion that both use (and that a second-factor step can use too)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record
from auth_service.errors import EmailNotVerified, ValidationFailed
from auth_service.http.ratelimit import FailureLimiter
from auth_service.observability.metrics import Metrics
from auth_service.sessions.service import SessionsService, SessionUser, TokenPair
from auth_service.transactions import Why, commit_now
from auth_service.users import repository as users
from auth_service.users.models import User
from auth_service.webauthn import repository
from auth_service.webauthn.challenges import Ceremony, Challenges, Issued
from auth_service.webauthn.errors import PasskeyNotConfirmed, PasskeyRejected, UnknownPasskey
from auth_service.webauthn.models import Passkey
from auth_service.webauthn.relyingparty import (
    Malformed,
    Rejected,
    RelyingParty,
    framed_by_another_site,
    parse_assertion,
)

logger = logging.getLogger("auth_service.webauthn")

# RFC 8176: "hwk", proof of possession of a hardware-secured key. A passkey with user
# verification is itself two factors (the device, and the PIN or biometric that unlocks it).
PASSKEY_AMR = ("hwk",)


def _session_user(user: User) -> SessionUser:
    return SessionUser(
        str(user.id), user.email, list(user.roles), user.email_verified, amr=PASSKEY_AMR
    )


class PasskeyService:
    def __init__(
        self,
        rp: RelyingParty,
        challenges: Challenges,
        sessions: SessionsService,
        limiter: FailureLimiter,
        metrics: Metrics,
        *,
        options_limiter: FailureLimiter,
        require_verified_email: bool = False,
    ) -> None:
        self._rp, self._challenges, self._sessions = rp, challenges, sessions
        self._limiter, self._options_limiter, self._metrics = limiter, options_limiter, metrics
        self._require_verified = require_verified_email

    async def has_passkeys(self, db: AsyncSession, user_id: uuid.UUID) -> bool:
        return await repository.count_of_user(db, user_id) > 0

    async def remove_all(self, db: AsyncSession, user_id: uuid.UUID) -> int:
        """Every passkey of the user (an administrator's MFA reset: the caller audits it)."""
        return await repository.delete_all_of_user(db, user_id)

    async def assertion_options(self, ip: str) -> dict[str, Any]:
        """PublicKeyCredentialRequestOptions (JSON) for a discoverable credential: no
        allowCredentials (the browser offers the passkeys it has for this site). Each call
        stores a challenge, so calls are counted per client address (429 past the limit)."""
        await self._options_limiter.reserve_address("passkey_options", ip)
        challenge = await self._challenges.issue(Issued(Ceremony.AUTHENTICATE))
        return self._rp.request_options(challenge)

    async def verify_assertion(
        self, db: AsyncSession, credential: dict[str, Any], expected_user_id: uuid.UUID | None
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """The user and the passkey that this assertion proves, or 401 `passkey_rejected`
        (audited, committing the request's transaction so far). With `expected_user_id`, the
        passkey must be that user's. On success the passkey's counter and last use are
        stored. Malformed input: 422 `validation_failed`."""
        try:
            parsed, challenge = parse_assertion(credential)
        except Malformed as exc:
            raise ValidationFailed("credential", str(exc)) from exc
        issued = await self._challenges.take(challenge)
        if issued is None or issued.ceremony is not Ceremony.AUTHENTICATE:
            await self._refused(db, "challenge", None)
            raise PasskeyRejected("This sign-in expired or was already used: try again")
        if framed_by_another_site(parsed.response.client_data_json):
            await self._refused(db, "cross_origin", None)
            raise PasskeyRejected("This sign-in ran in a frame of another site: refused")
        passkey = await repository.by_credential_id(db, parsed.raw_id)
        if passkey is None:
            await self._refused(db, "unknown", None)
            raise UnknownPasskey("This passkey is not registered here")
        handle = parsed.response.user_handle
        if (expected_user_id is not None and passkey.user_id != expected_user_id) or (
            handle is not None and handle != passkey.user_id.bytes
        ):
            await self._refused(db, "other_user", passkey, expected_user_id)
            raise PasskeyRejected("This passkey belongs to another account")
        try:
            verified = self._rp.verify_assertion(parsed, challenge, passkey.public_key)
        except Rejected as exc:
            await self._refused(db, "invalid", passkey, detail=str(exc))
            raise PasskeyRejected("The passkey's answer did not verify") from exc
        count, backed_up = verified.new_sign_count, verified.credential_backed_up
        if not await repository.record_use(
            db, passkey.id, count, backed_up, self._sessions.clock.now()
        ):
            await self._cloned(db, passkey, count)
        return passkey.user_id, passkey.id

    async def log_in(
        self, db: AsyncSession, credential: dict[str, Any], *, user_agent: str, ip: str
    ) -> TokenPair:
        """POST /webauthn/login: a new session, as a password log-in makes one."""
        attempt = await self._limiter.reserve_address("passkey_login", ip)
        user_id, passkey_id = await self.verify_assertion(db, credential, None)
        await self._limiter.release(attempt)
        user = await users.get(db, user_id)
        if user is None:  # deleted in between
            raise UnknownPasskey("This passkey is not registered here")
        if self._require_verified and not user.email_verified:
            self._metrics.logins.labels("email_not_verified").inc()
            raise EmailNotVerified(
                "Confirm your email first: follow the link we mailed you (or ask for a new one)"
            )
        logger.info("passkey log-in user=%s", user.id)
        self._metrics.logins.labels("succeeded").inc()
        return await self._sessions.start(
            db,
            _session_user(user),
            user_agent=user_agent,
            ip=ip,
            event=Event.LOGIN_SUCCEEDED,
            details={"method": "passkey", "passkey": str(passkey_id)},
        )

    async def confirm(
        self, db: AsyncSession, user_id: uuid.UUID, credential: dict[str, Any], ip: str
    ) -> None:
        """POST /reauth with `{webauthn}`: one of this user's passkeys (the auth slice then
        renews the session's `auth_time`, amr ["hwk"]). Refusals are 403, counted per address."""
        attempt = await self._limiter.reserve_address("passkey_reauth", ip)
        try:
            await self.verify_assertion(db, credential, user_id)
        except PasskeyRejected as exc:
            self._metrics.account_flows.labels("reauth", "passkey_rejected").inc()
            raise PasskeyNotConfirmed(exc.detail) from exc
        await self._limiter.release(attempt)

    async def proves(
        self, db: AsyncSession, user_id: uuid.UUID, credential: dict[str, Any]
    ) -> bool:
        """A log-in's second step: whether the assertion is one of this user's passkeys
        (a refusal is False, audited; the caller counts it as a wrong proof)."""
        try:
            await self.verify_assertion(db, credential, user_id)
        except PasskeyRejected:
            return False
        return True

    async def _refused(
        self,
        db: AsyncSession,
        reason: str,
        passkey: Passkey | None,
        expected_user_id: uuid.UUID | None = None,
        detail: str | None = None,
    ) -> None:
        """Counted and audited, to outlive the refusal's rollback."""
        self._metrics.account_flows.labels("passkey_assertion", reason).inc()
        details: dict[str, Any] = {"reason": reason}
        if passkey is not None:
            details["passkey"] = str(passkey.id)
        if detail:
            details["detail"] = detail[:200]
        await record(
            db,
            Event.PASSKEY_REJECTED,
            actor=str(expected_user_id) if expected_user_id else None,
            subject=str(passkey.user_id) if passkey else None,
            details=details,
        )
        await commit_now(db, Why.REFUSAL_AUDITED)

    async def _cloned(self, db: AsyncSession, passkey: Passkey, count: int) -> None:
        """A valid signature whose counter did not go up: two copies of one key exist."""
        logger.warning("passkey counter did not increase passkey=%s", passkey.id)
        self._metrics.account_flows.labels("passkey_assertion", "cloned").inc()
        await record(
            db,
            Event.PASSKEY_CLONED,
            subject=str(passkey.user_id),
            details={"passkey": str(passkey.id), "stored": passkey.sign_count, "sent": count},
        )
        await commit_now(db, Why.REFUSAL_AUDITED)
        raise PasskeyRejected(
            "This passkey's signature counter went backwards (a copied authenticator?): refused"
        )
