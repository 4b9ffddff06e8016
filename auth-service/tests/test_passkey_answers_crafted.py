"""Crafted passkey answers: attestation statements other than "none" (whose parsers once
answered 500), a page framed by another site (`crossOrigin: true`), and garbage where CBOR
or an authenticator's data should be. Each is a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest

from tests.helpers import assert_problem
from tests.passkeyflows import (
    login_options,
    prove_with_passkey,
    registration_options,
    user_with_passkey,
)
from tests.softauthenticator import SoftAuthenticator, b64url, unb64url

REGISTER = "/api/auth/webauthn/register"
LOGIN = "/api/auth/webauthn/login"

_NOT_A_CERT = b"\x30\x82\x01\x00" + bytes(64)
STATEMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "tpm": ("tpm", {"ver": "2.0", "alg": -257, "sig": b"\x00" * 8, "certInfo": b"x"}),
    "tpm-empty": ("tpm", {}),
    "android-safetynet": ("android-safetynet", {"ver": "1", "response": b"not.a.jws"}),
    "packed-x5c": ("packed", {"alg": -7, "sig": b"\x30\x00", "x5c": [_NOT_A_CERT]}),
    "packed-self": ("packed", {"alg": -7, "sig": b"\x30\x00"}),
    "fido-u2f": ("fido-u2f", {"sig": b"", "x5c": []}),
    "apple": ("apple", {"x5c": [b"junk"]}),
    "android-key": ("android-key", {"alg": -7, "sig": b"", "x5c": [b""]}),
    "unknown": ("made-up", {}),
}


@pytest.mark.parametrize("statement", STATEMENTS.values(), ids=STATEMENTS.keys())
async def test_an_attestation_other_than_none_is_refused_with_a_400(client, db, statement) -> None:
    login, device = await user_with_passkey(client)
    await prove_with_passkey(client, login, device)
    created = SoftAuthenticator().create(
        await registration_options(client, login), statement=statement
    )
    refused = await client.post(REGISTER, json={"credential": created}, headers=login.bearer)
    body = assert_problem(refused, 400, "passkey_registration_rejected")
    assert "none" in body["detail"]
    assert await db.fetchval("SELECT count(*) FROM passkeys") == 1


def _with_attestation_object(credential: dict[str, Any], raw: bytes) -> dict[str, Any]:
    response = {**credential["response"], "attestationObject": b64url(raw)}
    return {**credential, "response": response}


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\x00garbage",  # not CBOR
        cbor2.dumps(["a", "list"]),  # CBOR, not a map
        cbor2.dumps({"fmt": "none", "attStmt": {}}),  # no authData
        cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": b"short"}),
        cbor2.dumps({"fmt": 7, "attStmt": [], "authData": bytes(37)}),
    ],
    ids=["not-cbor", "a-list", "no-auth-data", "short-auth-data", "wrong-types"],
)
async def test_an_attestation_object_that_does_not_parse_is_a_400(client, raw: bytes) -> None:
    login, device = await user_with_passkey(client)
    await prove_with_passkey(client, login, device)
    created = SoftAuthenticator().create(await registration_options(client, login))
    spoiled = _with_attestation_object(created, raw)
    refused = await client.post(REGISTER, json={"credential": spoiled}, headers=login.bearer)
    assert_problem(refused, 400, "passkey_registration_rejected")


async def test_a_registration_from_a_page_framed_by_another_site_is_refused(client, db) -> None:
    login, device = await user_with_passkey(client)
    await prove_with_passkey(client, login, device)
    created = SoftAuthenticator().create(
        await registration_options(client, login), cross_origin=True
    )
    refused = await client.post(REGISTER, json={"credential": created}, headers=login.bearer)
    body = assert_problem(refused, 400, "passkey_registration_rejected")
    assert "another site" in body["detail"]
    assert await db.fetchval("SELECT count(*) FROM passkeys") == 1


async def test_a_passkey_log_in_from_a_page_framed_by_another_site_is_refused(client) -> None:
    _, device = await user_with_passkey(client)
    assertion = device.get(await login_options(client), cross_origin=True)
    refused = await client.post(LOGIN, json={"credential": assertion})
    assert_problem(refused, 401, "passkey_rejected")
    fine = await client.post(LOGIN, json={"credential": device.get(await login_options(client))})
    assert fine.status_code == 200, fine.text


@pytest.mark.parametrize(
    "spoil",
    [
        {"authenticatorData": b64url(b"short")},
        {"authenticatorData": b64url(bytes(32) + b"\x05" + bytes(4) + b"\xa1\xff")},
        {"signature": b64url(b"\x30\x06\x02\x01\x00\x02\x01")},  # truncated DER
        {"signature": ""},
    ],
    ids=["short-auth-data", "bad-extensions", "truncated-signature", "empty-signature"],
)
async def test_an_assertion_whose_parts_do_not_parse_is_a_4xx(client, spoil) -> None:
    _, device = await user_with_passkey(client)
    assertion = device.get(await login_options(client))
    assertion = {**assertion, "response": {**assertion["response"], **spoil}}
    refused = await client.post(LOGIN, json={"credential": assertion})
    assert_problem(refused, 401, "passkey_rejected")
    assert unb64url(assertion["id"])  # the credential was the registered one
