"""Helpers for second-factor tests: a fixed TOTP clock, enrolment, the two-step log-in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyotp

from tests.helpers import PASSWORD, Login, _login, ensure_verified, registry
from tests.passkeyflows import prove_with_passkey
from tests.softauthenticator import SoftAuthenticator

# The middle of a 30-second step: a test's codes never straddle a step boundary.
START = 1_900_000_015.0


@dataclass
class Clock:
    """The service's TOTP clock, held still; `tick()` moves it to the next step."""

    now: float = START

    def __call__(self) -> float:
        return self.now

    def tick(self, steps: int = 1) -> None:
        self.now += 30 * steps


def fix_clock(client: httpx.AsyncClient) -> Clock:
    clock = Clock()
    registry(client).mfa.clock = clock
    return clock


@dataclass
class Enrolled:
    totp: pyotp.TOTP
    recovery_codes: list[str]
    clock: Clock
    used: set[int] = field(default_factory=set)

    def code(self, offset_steps: int = 0) -> str:
        return str(self.totp.at(self.clock.now + 30 * offset_steps))

    def fresh_code(self) -> str:
        """A code of a step never used before (the clock moves on one step)."""
        self.clock.tick()
        return self.code()


async def enrol_totp(
    client: httpx.AsyncClient, login: Login, device: SoftAuthenticator | None = None
) -> Enrolled:
    """An authenticator app turned on (`device`: the account has passkeys, and one of them
    is proved first, as adding a factor then needs)."""
    if device is not None:
        await prove_with_passkey(client, login, device)
    clock = getattr(registry(client).mfa, "clock", None)
    clock = clock if isinstance(clock, Clock) else fix_clock(client)
    await ensure_verified(client, login)
    started = await client.post("/api/auth/mfa/totp", headers=login.bearer)
    assert started.status_code == 200, started.text
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = await client.post(
        "/api/auth/mfa/totp/confirm",
        json={"code": totp.at(clock.now)},
        headers=login.bearer,
    )
    assert confirmed.status_code == 200, confirmed.text
    return Enrolled(totp, confirmed.json()["recovery_codes"], clock)


async def password_step(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> dict[str, Any]:
    answer = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["mfa_required"] is True, body
    return body


async def second_step(client: httpx.AsyncClient, mfa_token: str, **proof: str) -> httpx.Response:
    return await client.post("/api/auth/login/mfa", json={"mfa_token": mfa_token, **proof})


async def log_in_with_code(
    client: httpx.AsyncClient, email: str, code: str, password: str = PASSWORD
) -> Login:
    token = (await password_step(client, email, password))["mfa_token"]
    return _login(await second_step(client, token, code=code))


async def prove_with_code(client: httpx.AsyncClient, login: Login, enrolled: Enrolled) -> Login:
    """/reauth with a fresh code of the app: `login` now holds the access token that proves
    it (amr ["otp"], a fresh auth_time)."""
    answer = await client.post(
        "/api/auth/reauth", json={"code": enrolled.fresh_code()}, headers=login.bearer
    )
    assert answer.status_code == 200, answer.text
    login.access_token = answer.json()["access_token"]
    return login


async def legacy_totp(client: httpx.AsyncClient, user_id: uuid.UUID) -> pyotp.TOTP:
    """A confirmed authenticator app and its recovery codes stored for the user through the
    repository, as a version that let an unverified account enrol one did."""
    from auth_service.mfa import recovery, repository, seeds, totp
    from auth_service.security.encryption import user_secrets
    from auth_service.timeutil import utcnow

    secret = totp.new_secret()
    sealer = user_secrets(registry(client).settings)
    sealed = sealer.seal(secret.encode(), seeds.binding(user_id))
    async with registry(client).sessionmaker() as db, db.begin():
        assert await repository.start_totp(db, user_id, sealed, utcnow())
        assert await repository.accept_step(db, user_id, 1, sealed=sealed, confirm_at=utcnow())
        codes = [recovery.normalized(c) or c for c in recovery.new_codes()]
        hashes = [recovery.digest(secret.encode(), user_id, c) for c in codes]
        await repository.replace_recovery_codes(db, user_id, hashes)
    return pyotp.TOTP(secret)
