from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid

import pytest

from tests.helpers import assert_problem, jwt_parts, log_in, refresh, sign_up

ADMIN = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}


@pytest.fixture
async def admin(make_client):
    async with make_client(**ADMIN) as client:
        login = await log_in(client, "root@example.org", "root-pass-123")
        yield client, login.bearer


async def test_admin_endpoints_need_the_admin_scope(admin) -> None:
    client, _ = admin
    user = await sign_up(client, "ann@example.org")
    for method, path in [
        ("GET", "/api/auth/admin/clients"),
        ("GET", "/api/auth/admin/users"),
        ("POST", "/api/auth/admin/clients"),
    ]:
        response = await client.request(method, path, headers=user.bearer, json={"name": "x"})
        assert_problem(response, 403, "insufficient_scope")
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
        assert_problem(await client.request(method, path, json={"name": "x"}), 401)


async def test_clients_are_created_listed_and_deleted_and_the_secret_shown_once(admin, db) -> None:
    client, bearer = admin
    created = await client.post(
        "/api/auth/admin/clients",
        json={"name": "billing", "scopes": ["stats:read"]},
        headers=bearer,
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) >= {"client_id", "client_secret", "name", "scopes", "created_at"}
    assert body["grant_types"] == ["client_credentials"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scopes"] == ["stats:read"] and len(body["client_secret"]) >= 40
    stored = await db.fetchval("SELECT secret_hash FROM oauth_clients")
    assert body["client_secret"] not in stored
    listed = (await client.get("/api/auth/admin/clients", headers=bearer)).json()
    assert [c["client_id"] for c in listed] == [body["client_id"]]
    assert "client_secret" not in listed[0]
    assert (
        await client.delete(f"/api/auth/admin/clients/{body['client_id']}", headers=bearer)
    ).status_code == 204
    assert (await client.get("/api/auth/admin/clients", headers=bearer)).json() == []
    assert_problem(
        await client.delete(f"/api/auth/admin/clients/{body['client_id']}", headers=bearer), 404
    )


async def test_invalid_client_registrations_are_422(admin) -> None:
    client, bearer = admin
    for body in [
        {"name": ""},
        {"name": "x", "scopes": ["has space"]},
        {"name": "x", "scopes": "s"},
        {"name": "x", "secret": "mine"},
    ]:
        response = await client.post("/api/auth/admin/clients", json=body, headers=bearer)
        assert_problem(response, 422)


async def test_users_are_listed_with_paging(admin) -> None:
    client, bearer = admin
    for index in range(5):
        await sign_up(client, f"user{index}@example.org")
    page = (await client.get("/api/auth/admin/users?limit=2&offset=1", headers=bearer)).json()
    assert page["total"] == 6 and page["limit"] == 2 and page["offset"] == 1
    assert [u["email"] for u in page["items"]] == ["user0@example.org", "user1@example.org"]
    assert_problem(await client.get("/api/auth/admin/users?limit=0", headers=bearer), 422)
    assert_problem(await client.get("/api/auth/admin/users?limit=x", headers=bearer), 422)


async def test_granting_admin_reaches_the_users_next_log_in(admin) -> None:
    client, bearer = admin
    user = await sign_up(client, "ann@example.org")
    user_id = jwt_parts(user.access_token)[1]["sub"]
    response = await client.patch(
        f"/api/auth/admin/users/{user_id}", json={"roles": ["admin", "editor"]}, headers=bearer
    )
    assert response.status_code == 200 and response.json()["roles"] == ["admin", "editor"]
    assert_problem(await refresh(client, user.refresh_token), 401)  # the change ended it
    again = await log_in(client, "ann@example.org")
    assert "admin" in jwt_parts(again.access_token)[1]["scope"].split()


async def _second_admin(client, bearer, email: str = "second@example.org"):
    """Signs up `email`, makes it an administrator, logs it in again (the grant ended its
    sessions); returns (its id, its new log-in)."""
    user = await sign_up(client, email)
    user_id = jwt_parts(user.access_token)[1]["sub"]
    granted = await client.patch(
        f"/api/auth/admin/users/{user_id}", json={"roles": ["admin"]}, headers=bearer
    )
    assert granted.status_code == 200, granted.text
    return user_id, await log_in(client, email)


async def test_an_admin_cannot_change_their_own_roles(admin) -> None:
    client, bearer = admin
    await _second_admin(client, bearer)  # so that the last-admin guard is not what stops it
    me = (await client.get("/api/auth/me", headers=bearer)).json()
    response = await client.patch(
        f"/api/auth/admin/users/{me['id']}", json={"roles": []}, headers=bearer
    )
    assert_problem(response, 403, "own_roles")


async def test_a_demoted_admin_loses_admin_at_once_and_cannot_grant_it_back(admin) -> None:
    client, bearer = admin
    second_id, second = await _second_admin(client, bearer)
    demoted = await client.patch(
        f"/api/auth/admin/users/{second_id}", json={"roles": []}, headers=bearer
    )
    assert demoted.status_code == 200 and demoted.json()["roles"] == []
    # Its access token still says `admin` and has not expired: it opens nothing.
    assert "admin" in jwt_parts(second.access_token)[1]["scope"].split()
    back = await client.patch(
        f"/api/auth/admin/users/{second_id}", json={"roles": ["admin"]}, headers=second.bearer
    )
    assert_problem(back, 401, "invalid_token")  # the demotion ended its sessions
    listed = await client.get("/api/auth/admin/users", headers=second.bearer)
    assert_problem(listed, 401, "invalid_token")
    assert_problem(await refresh(client, second.refresh_token), 401)


async def test_the_admin_role_is_checked_in_postgresql_on_every_request(admin, db) -> None:
    """A token that says `admin`, of a live session, whose user no longer holds the role
    (taken away outside the API, so no session ended): 403, on reads and writes alike."""
    client, bearer = admin
    second_id, second = await _second_admin(client, bearer)
    await db.execute("UPDATE users SET roles = '{}' WHERE id = $1", uuid.UUID(second_id))
    assert "admin" in jwt_parts(second.access_token)[1]["scope"].split()
    assert (await client.get("/api/auth/me", headers=second.bearer)).status_code == 200
    listed = await client.get("/api/auth/admin/users", headers=second.bearer)
    assert_problem(listed, 403, "admin_required")
    back = await client.patch(
        f"/api/auth/admin/users/{second_id}", json={"roles": ["admin"]}, headers=second.bearer
    )
    assert_problem(back, 403, "admin_required")


async def test_admin_endpoints_check_the_current_role_not_the_tokens_scope(admin, db) -> None:
    client, bearer = admin
    second_id, second = await _second_admin(client, bearer)
    # A demotion that ended no session (e.g. made in the database directly).
    await db.execute("UPDATE users SET roles = '{}' WHERE id = $1::uuid", second_id)
    assert_problem(
        await client.get("/api/auth/admin/users", headers=second.bearer), 403, "admin_required"
    )
    assert_problem(
        await client.post(
            "/api/auth/admin/clients",
            json={"name": "backdoor", "scopes": ["stats:read"]},
            headers=second.bearer,
        ),
        403,
        "admin_required",
    )


async def test_a_role_change_ends_the_users_sessions(admin) -> None:
    client, bearer = admin
    ann = await sign_up(client, "ann@example.org")
    user_id = jwt_parts(ann.access_token)[1]["sub"]
    response = await client.patch(
        f"/api/auth/admin/users/{user_id}", json={"roles": ["editor"]}, headers=bearer
    )
    assert response.status_code == 200
    assert_problem(await refresh(client, ann.refresh_token), 401)
    assert_problem(await client.get("/api/auth/me", headers=ann.bearer), 401, "invalid_token")


async def test_service_clients_cannot_be_given_admin_or_openid_scopes(admin) -> None:
    client, bearer = admin
    for scopes in (["admin"], ["openid"], ["profile", "stats:read"], ["email"]):
        response = await client.post(
            "/api/auth/admin/clients", json={"name": "x", "scopes": scopes}, headers=bearer
        )
        body = assert_problem(response, 422, "validation_failed")
        assert "cannot be given to a service client" in body["detail"]
    assert (await client.get("/api/auth/admin/clients", headers=bearer)).json() == []


async def test_a_service_token_with_admin_stops_working_when_its_client_is_gone(admin, db) -> None:
    client, _ = admin
    secret = "s" * 43  # a client with `admin` made before the scope was refused to clients
    await db.execute(
        "INSERT INTO oauth_clients (client_id, name, secret_hash, scopes, created_at)"
        " VALUES ('svc_old', 'old', $1, '{admin}', now())",
        hashlib.sha256(secret.encode()).hexdigest(),
    )
    basic = base64.b64encode(f"svc_old:{secret}".encode()).decode()
    issued = await client.post(
        "/api/auth/oauth/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        headers={"Authorization": f"Basic {basic}"},
    )
    service = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert (await client.get("/api/auth/admin/users", headers=service)).status_code == 200
    await db.execute("UPDATE oauth_clients SET scopes = '{stats:read}'")
    assert_problem(await client.get("/api/auth/admin/users", headers=service), 403)
    await db.execute("DELETE FROM oauth_clients")
    assert_problem(await client.get("/api/auth/admin/users", headers=service), 403)


async def test_concurrent_demotions_of_the_last_two_admins_leave_one(admin, db) -> None:
    client, bearer = admin
    second_id, second = await _second_admin(client, bearer)
    root_id = jwt_parts(bearer["Authorization"].split()[1])[1]["sub"]
    # Hold both admins' rows so that the two demotions surely run at the same time.
    holder = db.transaction()
    await holder.start()
    await db.execute("SELECT 1 FROM users WHERE 'admin' = ANY(roles) FOR UPDATE")
    demotions = [
        asyncio.create_task(
            client.patch(f"/api/auth/admin/users/{second_id}", json={"roles": []}, headers=bearer)
        ),
        asyncio.create_task(
            client.patch(
                f"/api/auth/admin/users/{root_id}", json={"roles": []}, headers=second.bearer
            )
        ),
    ]
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    for _ in range(500):  # until both wait for the rows
        if await db.fetchval(waiting) >= 2:
            break
        await asyncio.sleep(0.01)
    await holder.rollback()
    results = await asyncio.gather(*demotions)
    statuses = sorted(r.status_code for r in results)
    assert statuses[0] == 200 and statuses[1] == 409, [r.text for r in results]
    admins = await db.fetchval("SELECT count(*) FROM users WHERE 'admin' = ANY(roles)")
    assert admins == 1


async def test_an_admin_can_end_a_users_sessions(admin, db) -> None:
    client, bearer = admin
    ann = await sign_up(client, "ann@example.org")
    await log_in(client, "ann@example.org")
    user_id = jwt_parts(ann.access_token)[1]["sub"]
    response = await client.delete(f"/api/auth/admin/users/{user_id}/sessions", headers=bearer)
    assert response.status_code == 204
    assert_problem(await refresh(client, ann.refresh_token), 401)
    assert_problem(await client.get("/api/auth/me", headers=ann.bearer), 401)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND user_id = $1::uuid", user_id
        )
        == 0
    )
    event = await db.fetchrow(
        "SELECT subject, details FROM audit_events WHERE event = 'sessions_ended_by_admin'"
    )
    assert event["subject"] == user_id and '"sessions": 2' in event["details"]
    unknown = "/api/auth/admin/users/00000000-0000-0000-0000-000000000000/sessions"
    assert_problem(await client.delete(unknown, headers=bearer), 404)
    assert_problem(await client.delete(unknown, headers=ann.bearer), 401)


async def test_role_updates_validate_their_input(admin) -> None:
    client, bearer = admin
    unknown = "/api/auth/admin/users/00000000-0000-0000-0000-000000000000"
    assert_problem(await client.patch(unknown, json={"roles": []}, headers=bearer), 404)
    me = (await client.get("/api/auth/me", headers=bearer)).json()
    bad = await client.patch(
        f"/api/auth/admin/users/{me['id']}", json={"roles": ["Not A Role"]}, headers=bearer
    )
    assert_problem(bad, 422)
    assert_problem(
        await client.patch("/api/auth/admin/users/nope", json={"roles": []}, headers=bearer), 422
    )
