"""A change of the key-encryption key: TOTP seeds are re-sealed at start-up while the previous
key is set, so codes and recovery codes keep working once it is removed."""

from __future__ import annotations

import secrets
import uuid

from auth_service.mfa import recovery
from auth_service.security.encryption import UserSecrets

from tests.helpers import jwt_parts, registry, sign_up_verified
from tests.second_factor import Enrolled, enrol_totp, log_in_with_code, password_step, second_step

EMAIL = "ann@example.org"


def _same_clock(client, enrolled: Enrolled) -> None:
    registry(client).mfa.clock = enrolled.clock


async def test_totp_and_recovery_codes_work_after_the_previous_key_is_removed(
    make_client, db
) -> None:
    first, second = secrets.token_hex(32), secrets.token_hex(32)
    async with make_client(key_encryption_key=first) as client:
        enrolled = await enrol_totp(client, await sign_up_verified(client, EMAIL))
    sealed = await db.fetchval("SELECT secret_sealed FROM mfa_totp")
    async with make_client(key_encryption_key=second, previous_key_encryption_key=first):
        pass  # start-up re-seals
    assert await db.fetchval("SELECT secret_sealed FROM mfa_totp") != sealed
    async with make_client(key_encryption_key=second) as client:
        _same_clock(client, enrolled)
        login = await log_in_with_code(client, EMAIL, enrolled.fresh_code())
        assert jwt_parts(login.access_token)[1]["amr"] == ["pwd", "otp", "mfa"]
        token = (await password_step(client, EMAIL))["mfa_token"]
        spent = await second_step(client, token, recovery_code=enrolled.recovery_codes[0])
        assert spent.status_code == 200, spent.text


async def test_a_second_start_with_the_previous_key_set_changes_nothing(make_client, db) -> None:
    first, second = secrets.token_hex(32), secrets.token_hex(32)
    async with make_client(key_encryption_key=first) as client:
        await enrol_totp(client, await sign_up_verified(client, EMAIL))
    async with make_client(key_encryption_key=second, previous_key_encryption_key=first):
        pass
    sealed = await db.fetchval("SELECT secret_sealed FROM mfa_totp")
    async with make_client(key_encryption_key=second, previous_key_encryption_key=first):
        pass
    assert await db.fetchval("SELECT secret_sealed FROM mfa_totp") == sealed


async def test_recovery_codes_of_before_their_key_came_from_the_seed_still_match(
    make_client, db
) -> None:
    """Codes stored keyed by the key-encryption key (as the first release did) are matched
    under the current key, then the previous one."""
    first, second = secrets.token_hex(32), secrets.token_hex(32)
    async with make_client(key_encryption_key=first) as client:
        login = await sign_up_verified(client, EMAIL)
        enrolled = await enrol_totp(client, login)
    user_id = jwt_parts(login.access_token)[1]["sub"]
    legacy = UserSecrets(first).digests(recovery.hash_message(uuid.UUID(user_id), "abcdeabcde"))[0]
    await db.execute(
        "INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, now())",
        uuid.UUID(user_id),
        legacy,
    )
    async with make_client(key_encryption_key=second, previous_key_encryption_key=first) as client:
        _same_clock(client, enrolled)
        token = (await password_step(client, EMAIL))["mfa_token"]
        spent = await second_step(client, token, recovery_code="ABCDE-ABCDE")
        assert spent.status_code == 200, spent.text
