"""Passkeys (WebAuthn): enrolment, the user's list, log-in with a passkey alone, and
proving it again with one; against a software authenticator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid

from tests.helpers import (
    assert_problem,
    jwt_parts,
    refresh,
    refresh_cookie_of,
    registry,
    sign_up_verified,
)
from tests.passkeyflows import (
    enrol,
    login_options,
    passkey_log_in,
    prove_with_passkey,
    registration_options,
    user_with_passkey,
)
from tests.softauthenticator import SoftAuthenticator, b64url
from tests.test_step_up import _age_the_log_in


async def test_the_creation_options_ask_for_a_discoverable_verified_passkey_of_this_site(
    client,
) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    options = await registration_options(client, login)
    assert options["rp"] == {"id": "localhost", "name": "Gatehouse"}
    assert options["user"]["name"] == "ann@example.org"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["excludeCredentials"] == []
    assert len(options["challenge"]) >= 43  # 32 random bytes

    device = SoftAuthenticator()
    await enrol(client, login, device)
    again = await registration_options(client, await prove_with_passkey(client, login, device))
    excluded = [c["id"] for c in again["excludeCredentials"]]
    assert excluded == [b64url(device.credentials[0].credential_id)]


async def test_a_passkey_is_registered_listed_renamed_and_removed(client, db) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    device = SoftAuthenticator()
    created = await enrol(client, login, device, name="Work laptop")
    assert created["name"] == "Work laptop" and created["last_used_at"] is None

    listed = await client.get("/api/auth/webauthn/credentials", headers=login.bearer)
    assert [(p["id"], p["name"]) for p in listed.json()] == [(created["id"], "Work laptop")]

    url = f"/api/auth/webauthn/credentials/{created['id']}"
    renamed = await client.patch(url, json={"name": "  Old laptop "}, headers=login.bearer)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Old laptop"

    await prove_with_passkey(client, login, device)
    removed = await client.delete(url, headers=login.bearer)
    assert removed.status_code == 204
    assert (await client.get("/api/auth/webauthn/credentials", headers=login.bearer)).json() == []
    events = await db.fetch(
        "SELECT event FROM audit_events WHERE event LIKE 'passkey_%' ORDER BY id"
    )
    assert [e["event"] for e in events] == [
        "passkey_registered",
        "passkey_renamed",
        "passkey_removed",
    ]


async def test_the_name_given_with_the_options_is_kept_when_registering_names_none(client) -> None:
    login = await sign_up_verified(client, "ann@example.org")
    device = SoftAuthenticator()
    created = await enrol(client, login, device, name="Phone")
    assert created["name"] == "Phone"


async def test_another_users_passkey_is_not_found(client) -> None:
    _, _ = await user_with_passkey(client, "ann@example.org")
    bob = await sign_up_verified(client, "bob@example.org")
    ann = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": "lantern-quarry-47"}
    )
    ann_bearer = {"Authorization": f"Bearer {ann.json()['access_token']}"}
    (passkey,) = (await client.get("/api/auth/webauthn/credentials", headers=ann_bearer)).json()
    url = f"/api/auth/webauthn/credentials/{passkey['id']}"
    assert_problem(await client.patch(url, json={"name": "mine"}, headers=bob.bearer), 404)
    assert_problem(await client.delete(url, headers=bob.bearer), 404)
    assert (await client.get("/api/auth/webauthn/credentials", headers=bob.bearer)).json() == []
    assert len((await client.get("/api/auth/webauthn/credentials", headers=ann_bearer)).json()) == 1


async def test_enrolling_and_removing_need_a_recent_log_in(client, db) -> None:
    login, _ = await user_with_passkey(client)
    (passkey,) = (await client.get("/api/auth/webauthn/credentials", headers=login.bearer)).json()
    await _age_the_log_in(db, login.access_token)
    old = (await refresh(client, login.refresh_token)).json()["access_token"]
    aged = {"Authorization": f"Bearer {old}"}
    for answer in (
        await client.post("/api/auth/webauthn/register/options", json={"name": "x"}, headers=aged),
        await client.post("/api/auth/webauthn/register", json={"credential": {}}, headers=aged),
        await client.delete(f"/api/auth/webauthn/credentials/{passkey['id']}", headers=aged),
    ):
        assert_problem(answer, 401, "insufficient_user_authentication")
    # Listing and renaming do not.
    assert (await client.get("/api/auth/webauthn/credentials", headers=aged)).status_code == 200
    renamed = await client.patch(
        f"/api/auth/webauthn/credentials/{passkey['id']}", json={"name": "y"}, headers=aged
    )
    assert renamed.status_code == 200


async def test_a_passkey_log_in_gives_a_session_a_cookie_and_a_token_with_amr_hwk(
    client, db
) -> None:
    login, device = await user_with_passkey(client)
    before = int(time.time())
    answer = await passkey_log_in(client, device)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    claims = jwt_parts(answer.json()["access_token"])[1]
    assert claims["amr"] == ["hwk"] and claims["auth_time"] >= before - 1
    assert claims["sub"] == jwt_parts(login.access_token)[1]["sub"]
    assert claims["sid"] != jwt_parts(login.access_token)[1]["sid"]  # a new session
    rotated = await refresh(client, refresh_cookie_of(answer))
    assert rotated.status_code == 200
    assert jwt_parts(rotated.json()["access_token"])[1]["amr"] == ["hwk"]

    me = await client.get("/api/auth/webauthn/credentials", headers=login.bearer)
    assert me.json()[0]["last_used_at"] is not None
    assert await db.fetchval("SELECT sign_count FROM passkeys") == 1
    event = await db.fetchrow(
        "SELECT details FROM audit_events WHERE event = 'login_succeeded' ORDER BY id DESC"
    )
    assert '"method": "passkey"' in event["details"]


async def test_an_authenticator_that_does_not_count_may_sign_in_again(client) -> None:
    _, device = await user_with_passkey(client)
    for _ in range(2):
        answer = await passkey_log_in(client, device, counter=0)
        assert answer.status_code == 200, answer.text


async def test_reauth_with_a_passkey_gives_a_fresh_auth_time_in_the_same_session(
    client, db
) -> None:
    login, device = await user_with_passkey(client)
    await _age_the_log_in(db, login.access_token)
    old = (await refresh(client, login.refresh_token)).json()["access_token"]
    aged = {"Authorization": f"Bearer {old}"}
    assertion = device.get(await login_options(client))
    proved = await client.post("/api/auth/reauth", json={"webauthn": assertion}, headers=aged)
    assert proved.status_code == 200, proved.text
    assert "set-cookie" not in proved.headers
    claims = jwt_parts(proved.json()["access_token"])[1]
    assert claims["sid"] == jwt_parts(old)[1]["sid"]
    assert claims["amr"] == ["hwk"] and claims["auth_time"] >= int(time.time()) - 5
    fresh = {"Authorization": f"Bearer {proved.json()['access_token']}"}
    options = await client.post(
        "/api/auth/webauthn/register/options", json={"name": "x"}, headers=fresh
    )
    assert options.status_code == 200


async def test_reauth_takes_exactly_one_proof(client) -> None:
    login, device = await user_with_passkey(client)
    assertion = device.get(await login_options(client))
    both = {"password": "lantern-quarry-47", "webauthn": assertion}
    assert_problem(await client.post("/api/auth/reauth", json=both, headers=login.bearer), 422)
    assert_problem(await client.post("/api/auth/reauth", json={}, headers=login.bearer), 422)


async def test_the_relying_party_is_auth_public_urls_host_and_origin(make_client) -> None:
    async with make_client(public_url="https://app.example.org:443/") as client:
        login, device = await sign_up_verified(client, "ann@example.org"), SoftAuthenticator()
        options = await registration_options(client, login)
        assert options["rp"]["id"] == "app.example.org"
        created = device.create(options, origin="https://app.example.org")
        answer = await client.post(
            "/api/auth/webauthn/register", json={"credential": created}, headers=login.bearer
        )
        assert answer.status_code == 201, answer.text
        # The issuer's origin is not the web app's: its answers no longer count.
        signed_in = await passkey_log_in(client, device, origin="http://localhost:8080")
        assert_problem(signed_in, 401, "passkey_rejected")
        signed_in = await passkey_log_in(client, device, origin="https://app.example.org")
        assert signed_in.status_code == 200, signed_in.text


async def test_the_second_factor_hooks_see_check_and_remove_a_users_passkeys(client) -> None:
    """What /login/mfa and the administrator's MFA reset call (PasskeyService)."""
    login, device = await user_with_passkey(client)
    user_id = uuid.UUID(jwt_parts(login.access_token)[1]["sub"])
    passkeys, sessionmaker = registry(client).passkeys, registry(client).sessionmaker
    assertion = device.get(await login_options(client))
    async with sessionmaker() as db, db.begin():
        assert await passkeys.has_passkeys(db, user_id)
        proved_user, _ = await passkeys.verify_assertion(db, assertion, user_id)
        assert proved_user == user_id
        assert await passkeys.remove_all(db, user_id) == 1
    async with sessionmaker() as db:
        assert not await passkeys.has_passkeys(db, user_id)


def test_the_app_loads_the_webauthn_library_on_the_first_ceremony_not_at_import() -> None:
    """py_webauthn imports pyOpenSSL and pyasn1 (8 MiB of every replica) for attestation
    chains this relying party never checks: a service that sees no passkey never loads it."""
    script = textwrap.dedent(
        """
        import sys
        import auth_service.app
        from auth_service.webauthn.relyingparty import RelyingParty
        print(sorted({m.split(".")[0] for m in sys.modules} & {"webauthn", "OpenSSL", "pyasn1"}))
        RelyingParty.of("http://localhost:8080").request_options(b"c" * 32)
        print("webauthn" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split("\n")[:2] == ["[]", "True"], out.stdout
