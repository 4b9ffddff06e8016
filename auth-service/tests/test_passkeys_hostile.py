"""Passkey answers that must not sign anyone in: another account's, another site's,
replayed, of the wrong ceremony, of a cloned authenticator, unverified, unknown, garbage."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import assert_problem, jwt_parts, sign_up, sign_up_verified
from tests.passkeyflows import (
    legacy_passkey,
    login_options,
    passkey_log_in,
    prove_with_passkey,
    registration_options,
    user_with_passkey,
)
from tests.softauthenticator import SoftAuthenticator, b64url

LOGIN = "/api/auth/webauthn/login"
REGISTER = "/api/auth/webauthn/register"


async def _events(db, event: str) -> list[str]:
    rows = await db.fetch("SELECT details FROM audit_events WHERE event = $1 ORDER BY id", event)
    return [row["details"] for row in rows]


async def test_reauth_with_another_users_passkey_is_refused_and_audited(client, db) -> None:
    _, ann_device = await user_with_passkey(client, "ann@example.org")
    bob = await sign_up_verified(client, "bob@example.org")
    assertion = ann_device.get(await login_options(client))
    answer = await client.post("/api/auth/reauth", json={"webauthn": assertion}, headers=bob.bearer)
    assert_problem(answer, 403, "passkey_rejected")
    (details,) = await _events(db, "passkey_assertion_failed")
    assert '"reason": "other_user"' in details
    assert await _events(db, "reauthenticated") == []


async def test_an_answer_made_for_another_origin_is_refused(client, db) -> None:
    _, device = await user_with_passkey(client)
    answer = await passkey_log_in(client, device, origin="https://evil.example")
    assert_problem(answer, 401, "passkey_rejected")
    assert len(await _events(db, "passkey_assertion_failed")) == 1


async def test_an_answer_made_for_another_rp_id_is_refused(client) -> None:
    _, device = await user_with_passkey(client)
    answer = await passkey_log_in(client, device, rp_id="evil.example")
    assert_problem(answer, 401, "passkey_rejected")


async def test_a_challenge_works_once(client, db) -> None:
    _, device = await user_with_passkey(client)
    options = await login_options(client)
    first = await client.post(LOGIN, json={"credential": device.get(options)})
    assert first.status_code == 200, first.text
    replayed = await client.post(LOGIN, json={"credential": device.get(options)})
    assert_problem(replayed, 401, "passkey_rejected")
    (details,) = await _events(db, "passkey_assertion_failed")
    assert '"reason": "challenge"' in details


async def test_a_challenge_never_issued_is_refused(client) -> None:
    _, device = await user_with_passkey(client)
    forged = {"challenge": b64url(b"x" * 32)}
    answer = await client.post(LOGIN, json={"credential": device.get(forged)})
    assert_problem(answer, 401, "passkey_rejected")


async def test_a_challenge_of_the_other_ceremony_is_refused(client) -> None:
    login, device = await user_with_passkey(client)
    await prove_with_passkey(client, login, device)
    enrolment = await registration_options(client, login)
    answer = await client.post(LOGIN, json={"credential": device.get(enrolment)})
    assert_problem(answer, 401, "passkey_rejected")

    sign_in = await login_options(client)
    created = SoftAuthenticator().create({**enrolment, "challenge": sign_in["challenge"]})
    refused = await client.post(REGISTER, json={"credential": created}, headers=login.bearer)
    assert_problem(refused, 400, "passkey_registration_rejected")


async def test_an_enrolment_started_by_another_account_is_refused(client) -> None:
    ann = await sign_up_verified(client, "ann@example.org")
    bob = await sign_up_verified(client, "bob@example.org")
    created = SoftAuthenticator().create(await registration_options(client, ann))
    refused = await client.post(REGISTER, json={"credential": created}, headers=bob.bearer)
    assert_problem(refused, 400, "passkey_registration_rejected")
    assert (await client.get("/api/auth/webauthn/credentials", headers=bob.bearer)).json() == []


@pytest.mark.parametrize("counter", [1, 0], ids=["same", "lower"])
async def test_a_cloned_authenticators_counter_is_refused_and_audited(
    client, db, counter: int
) -> None:
    _, device = await user_with_passkey(client)
    assert (await passkey_log_in(client, device)).status_code == 200  # counter 1
    if counter == 0:
        assert (await passkey_log_in(client, device)).status_code == 200  # counter 2
        counter = 1
    answer = await passkey_log_in(client, device, counter=counter)
    assert_problem(answer, 401, "passkey_rejected")
    (details,) = await _events(db, "passkey_cloned_authenticator")
    assert '"sent": 1' in details


async def test_an_answer_without_user_verification_is_refused(client, db) -> None:
    login, device = await user_with_passkey(client)
    await prove_with_passkey(client, login, device)
    answer = await passkey_log_in(client, device, verified=False)
    assert_problem(answer, 401, "passkey_rejected")
    unverified = SoftAuthenticator().create(
        await registration_options(client, login), verified=False
    )
    refused = await client.post(REGISTER, json={"credential": unverified}, headers=login.bearer)
    assert_problem(refused, 400, "passkey_registration_rejected")
    assert await db.fetchval("SELECT count(*) FROM passkeys") == 1


async def test_an_enrolment_for_another_origin_is_refused(client) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    created = SoftAuthenticator().create(
        await registration_options(client, login), origin="https://evil.example"
    )
    refused = await client.post(REGISTER, json={"credential": created}, headers=login.bearer)
    assert_problem(refused, 400, "passkey_registration_rejected")


async def test_an_unknown_passkey_is_refused(client, db) -> None:
    stranger = SoftAuthenticator()
    stranger.create(
        {"rp": {"id": "localhost"}, "user": {"id": b64url(b"someone")}, "challenge": "AA"}
    )
    answer = await passkey_log_in(client, stranger)
    assert_problem(answer, 401, "passkey_unknown")
    (details,) = await _events(db, "passkey_assertion_failed")
    assert '"reason": "unknown"' in details


async def test_a_signature_by_another_key_is_refused(client) -> None:
    _, device = await user_with_passkey(client)
    thief = SoftAuthenticator()
    thief.create({"rp": {"id": "localhost"}, "user": {"id": "AA"}, "challenge": "AA"})
    thief.credentials[0].credential_id = device.credentials[0].credential_id
    thief.credentials[0].user_handle = device.credentials[0].user_handle
    assert_problem(await passkey_log_in(client, thief), 401, "passkey_rejected")


async def test_the_same_passkey_cannot_be_registered_twice(client) -> None:
    login, device = await user_with_passkey(client)
    await prove_with_passkey(client, login, device)
    options = await registration_options(client, login)
    again = device.create(options, again=device.credentials[0])
    refused = await client.post(REGISTER, json={"credential": again}, headers=login.bearer)
    assert_problem(refused, 409, "passkey_exists")
    listed = await client.get("/api/auth/webauthn/credentials", headers=login.bearer)
    assert len(listed.json()) == 1


async def test_a_credential_id_that_is_not_the_authenticators_is_refused(client) -> None:
    login, device = await user_with_passkey(client)
    await prove_with_passkey(client, login, device)
    created = SoftAuthenticator().create(await registration_options(client, login))
    created["id"] = created["rawId"] = b64url(device.credentials[0].credential_id)
    refused = await client.post(REGISTER, json={"credential": created}, headers=login.bearer)
    assert_problem(refused, 400, "passkey_registration_rejected")


MALFORMED = [
    {},
    {"credential": None},
    {"credential": "not an object"},
    {"credential": {}},
    {"credential": {"id": "x", "rawId": "x", "type": "public-key"}},
    {"credential": {"id": 1, "rawId": [], "response": "x"}},
    {
        "credential": {
            "id": "AA",
            "rawId": "AA",
            "type": "public-key",
            "response": {"clientDataJSON": "!!", "authenticatorData": "AA", "signature": "AA"},
        }
    },
    {
        "credential": {
            "id": "AA",
            "rawId": "AA",
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(b"[1, 2]"),
                "authenticatorData": "AA",
                "signature": "AA",
                "attestationObject": "AA",
            },
        }
    },
    {"credential": {"response": {"clientDataJSON": b64url(b'{"challenge": 5}')}}},
    {"credential": {}, "extra": 1},
]


@pytest.mark.parametrize("body", MALFORMED)
async def test_malformed_answers_get_a_4xx_problem(client, body) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    assert_problem(await client.post(LOGIN, json=body), 422, "validation_failed")
    registered = await client.post(REGISTER, json=body, headers=login.bearer)
    # Registration takes any object as its credential and lets py_webauthn parse it.
    if isinstance(body.get("credential"), dict) and set(body) == {"credential"}:
        assert_problem(registered, 400, "passkey_registration_rejected")
    else:
        assert_problem(registered, 422, "validation_failed")
    reauth = {"webauthn": body.get("credential")} if body.get("credential") else body
    answer = await client.post("/api/auth/reauth", json=reauth, headers=login.bearer)
    assert_problem(answer, 422, "validation_failed")


async def test_malformed_json_gets_a_4xx_problem(client) -> None:
    answer = await client.post(
        LOGIN, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(answer, 400, "malformed_json")


async def test_failed_passkey_log_ins_are_limited_per_address(make_client) -> None:
    async with make_client(login_max_failures_per_ip=2) as client:
        _, device = await user_with_passkey(client)
        for _ in range(2):
            assert_problem(await passkey_log_in(client, device, verified=False), 401)
        limited = await passkey_log_in(client, device)
    assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) > 0


async def test_a_passkey_log_in_waits_for_a_verified_email_when_that_is_required(
    make_client,
) -> None:
    async with make_client() as client:
        login, device = await sign_up(client, "ann@example.org"), SoftAuthenticator()
        await legacy_passkey(client, uuid.UUID(jwt_parts(login.access_token)[1]["sub"]), device)
    async with make_client(require_verified_email=True) as strict:
        answer = await passkey_log_in(strict, device)
    assert_problem(answer, 403, "email_not_verified")
