from __future__ import annotations

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
    assert set(body) == {"client_id", "client_secret", "name", "scopes", "created_at"}
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


async def test_granting_admin_reaches_the_users_next_token(admin) -> None:
    client, bearer = admin
    user = await sign_up(client, "ann@example.org")
    user_id = jwt_parts(user.access_token)[1]["sub"]
    response = await client.patch(
        f"/api/auth/admin/users/{user_id}", json={"roles": ["admin", "editor"]}, headers=bearer
    )
    assert response.status_code == 200 and response.json()["roles"] == ["admin", "editor"]
    refreshed = await refresh(client, user.refresh_token)
    assert "admin" in jwt_parts(refreshed.json()["access_token"])[1]["scope"].split()


async def test_the_last_admin_cannot_lose_the_role(admin) -> None:
    client, bearer = admin
    me = (await client.get("/api/auth/me", headers=bearer)).json()
    response = await client.patch(
        f"/api/auth/admin/users/{me['id']}", json={"roles": []}, headers=bearer
    )
    assert_problem(response, 409, "last_admin")


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
