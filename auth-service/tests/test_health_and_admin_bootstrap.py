from __future__ import annotations

from devstack.ports import free_port

from tests.helpers import assert_problem, jwt_parts, log_in


async def test_healthz_and_readyz_answer_when_everything_is_up(client) -> None:
    assert (await client.get("/api/auth/healthz")).json() == {"status": "ok"}
    ready = await client.get("/api/auth/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_readyz_reports_an_unreachable_redis_and_refresh_fails_closed(make_client) -> None:
    async with make_client(redis_url=f"redis://127.0.0.1:{free_port()}/0") as client:
        ready = await client.get("/api/auth/readyz")
        body = assert_problem(ready, 503, "not_ready")
        assert body["checks"] == {"database": "ok", "redis": "unavailable"}
        response = await client.post(
            "/api/auth/refresh",
            headers={"X-Requested-With": "x", "Cookie": "refresh_token=whatever"},
        )
        assert response.status_code in (401, 503)  # garbage is refused before Redis is asked


async def test_bootstrap_admin_is_created_with_the_admin_role_and_scope(make_client) -> None:
    async with make_client(
        bootstrap_admin_email="root@example.org", bootstrap_admin_password="first-admin-pass"
    ) as client:
        login = await log_in(client, "root@example.org", "first-admin-pass")
        me = (await client.get("/api/auth/me", headers=login.bearer)).json()
    assert me["roles"] == ["admin"]
    assert jwt_parts(login.access_token)[1]["scope"].split() == [
        "openid",
        "profile",
        "email",
        "admin",
    ]


async def test_bootstrap_admin_password_follows_the_setting_on_restart(make_client, db) -> None:
    async with make_client(
        bootstrap_admin_email="root@example.org", bootstrap_admin_password="first-admin-pass"
    ):
        pass
    async with make_client(
        bootstrap_admin_email="root@example.org", bootstrap_admin_password="second-admin-pass"
    ) as client:
        await log_in(client, "root@example.org", "second-admin-pass")
        refused = await client.post(
            "/api/auth/login", json={"email": "root@example.org", "password": "first-admin-pass"}
        )
        assert refused.status_code == 401
    assert await db.fetchval("SELECT count(*) FROM users") == 1
