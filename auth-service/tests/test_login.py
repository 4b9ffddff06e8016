from __future__ import annotations

import asyncio
import threading
import time

import passlib.hash
import pytest
from auth_service.errors import InvalidCredentials
from service_kit.db import transaction

from tests.helpers import PASSWORD, assert_problem, log_in, registry, sign_up


async def test_log_in_returns_tokens_and_a_new_session(client) -> None:
    first = await sign_up(client, "ann@example.org")
    second = await log_in(client, "ANN@example.org".replace("ANN", "ann"))
    assert second.response.status_code == 200
    assert second.refresh_token != first.refresh_token
    sessions = (await client.get("/api/auth/sessions", headers=second.bearer)).json()
    assert len(sessions) == 2


async def test_wrong_password_and_unknown_email_answer_identically(client) -> None:
    await sign_up(client, "ann@example.org")
    wrong = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": "not-the-one-1"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "zed@example.org", "password": "not-the-one-1"}
    )
    assert_problem(wrong, 401, "invalid_credentials")
    assert wrong.json() == unknown.json()
    assert wrong.status_code == unknown.status_code
    strip = {"content-length", "date", "x-request-id"}
    assert {k: v for k, v in wrong.headers.items() if k not in strip} == {
        k: v for k, v in unknown.headers.items() if k not in strip
    }
    assert "set-cookie" not in wrong.headers


async def test_unknown_email_costs_a_password_verification_too(services) -> None:
    hasher = services.hasher
    calls: list[str] = []
    original = hasher._context.verify

    def counting_verify(secret, stored):
        calls.append(stored)
        return original(secret, stored)

    hasher._context.verify = counting_verify
    with pytest.raises(InvalidCredentials):
        async with transaction(services.sessionmaker) as db:
            await services.auth.log_in(
                db, email="zed@example.org", password="whatever1", user_agent="t", ip="192.0.2.1"
            )
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


async def test_passwords_differing_after_byte_72_do_not_match(client) -> None:
    base = "k" * 72
    await sign_up(client, "ann@example.org", base + "-tail-one")
    response = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": base + "-tail-two"}
    )
    assert_problem(response, 401, "invalid_credentials")
    await log_in(client, "ann@example.org", base + "-tail-one")


async def test_hash_is_upgraded_on_log_in_when_parameters_change(make_client, db) -> None:
    async with make_client() as client:
        await sign_up(client, "ann@example.org")
    async with make_client(argon2_time_cost=3) as client:
        await log_in(client, "ann@example.org")
    assert "$m=19456,t=3,p=1$" in await db.fetchval("SELECT password_hash FROM users")


async def test_legacy_bcrypt_hash_verifies_and_is_upgraded(client, db) -> None:
    await sign_up(client, "ann@example.org", "another-secret-99")
    await db.execute("UPDATE users SET password_hash = $1", passlib.hash.bcrypt.hash(PASSWORD))
    await log_in(client, "ann@example.org")
    assert (await db.fetchval("SELECT password_hash FROM users")).startswith("$argon2id$")
    await log_in(client, "ann@example.org")


async def test_legacy_bcrypt_hash_does_not_match_on_a_72_byte_prefix(client, db) -> None:
    await sign_up(client, "ann@example.org")
    long_password = "p" * 72
    await db.execute("UPDATE users SET password_hash = $1", passlib.hash.bcrypt.hash(long_password))
    response = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": long_password + "x"}
    )
    assert_problem(response, 401, "invalid_credentials")


async def test_failed_log_ins_are_limited_per_account_and_address(make_client) -> None:
    async with make_client(login_max_failures_per_account=3) as client:
        await sign_up(client, "ann@example.org")
        for _ in range(3):
            response = await client.post(
                "/api/auth/login", json={"email": "ann@example.org", "password": "wrong-pass-1"}
            )
            assert response.status_code == 401
        # From this address, even the right password is refused until the window passes.
        limited = await client.post(
            "/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD}
        )
        assert_problem(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 900
        # Another account is not affected.
        await sign_up(client, "bob@example.org")
        await log_in(client, "bob@example.org")


async def test_failed_log_ins_are_limited_per_forwarded_client_ip(make_client) -> None:
    async with make_client(login_max_failures_per_ip=3) as client:
        for index in range(3):
            response = await client.post(
                "/api/auth/login",
                json={"email": f"u{index}@example.org", "password": "wrong-pass-1"},
                headers={"X-Forwarded-For": "203.0.113.7"},
            )
            assert response.status_code == 401
        limited = await client.post(
            "/api/auth/login",
            json={"email": "new@example.org", "password": "wrong-pass-1"},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        assert_problem(limited, 429)
        other = await client.post(
            "/api/auth/login",
            json={"email": "new@example.org", "password": "wrong-pass-1"},
            headers={"X-Forwarded-For": "198.51.100.9"},
        )
        assert other.status_code == 401


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(make_client) -> None:
    async with make_client(login_max_failures_per_ip=2, trusted_proxies="10.0.0.1/32") as client:
        for index in range(2):
            await client.post(
                "/api/auth/login",
                json={"email": f"u{index}@example.org", "password": "wrong-pass-1"},
                headers={"X-Forwarded-For": f"203.0.113.{index}"},
            )
        # The test client's peer (127.0.0.1) is not trusted: faking the header does not help.
        limited = await client.post(
            "/api/auth/login",
            json={"email": "x@example.org", "password": "wrong-pass-1"},
            headers={"X-Forwarded-For": "192.0.2.99"},
        )
        assert_problem(limited, 429)


async def test_successful_log_in_clears_the_failure_count_of_its_address(make_client) -> None:
    async with make_client(login_max_failures_per_account=3) as client:
        await sign_up(client, "ann@example.org")
        wrong = {"email": "ann@example.org", "password": "wrong-pass-1"}
        for _ in range(2):
            assert_problem(await client.post("/api/auth/login", json=wrong), 401)
        await log_in(client, "ann@example.org")
        for _ in range(2):  # a third failure in a row would be the limit's 429
            assert_problem(await client.post("/api/auth/login", json=wrong), 401)
        await log_in(client, "ann@example.org")


async def test_password_hashing_runs_at_most_the_configured_number_at_once(make_client) -> None:
    async with make_client(password_hash_concurrency=2) as client:
        await sign_up(client, "ann@example.org")
        context = registry(client).hasher._context
        original = context.verify_and_update
        lock, active, peak = threading.Lock(), [0], [0]

        def counting(secret, stored):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                time.sleep(0.05)  # keep each one in flight long enough to overlap
                return original(secret, stored)
            finally:
                with lock:
                    active[0] -= 1

        context.verify_and_update = counting
        logins = await asyncio.gather(
            *(
                client.post(
                    "/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD}
                )
                for _ in range(8)
            )
        )
    assert [r.status_code for r in logins] == [200] * 8
    assert peak[0] == 2
