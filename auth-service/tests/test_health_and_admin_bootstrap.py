from __future__ import annotations

import asyncio

import pytest
from auth_service.users.service import BootstrapConflict
from devstack.ports import free_port

from tests.helpers import assert_problem, jwt_parts, log_in, refresh, sign_up

ROOT = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}


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
        assert_problem(response, 401)  # garbage is refused before Redis is asked


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
    ) as client:
        before = await log_in(client, "root@example.org", "first-admin-pass")
    async with make_client(
        bootstrap_admin_email="root@example.org", bootstrap_admin_password="second-admin-pass"
    ) as client:
        await log_in(client, "root@example.org", "second-admin-pass")
        refused = await client.post(
            "/api/auth/login", json={"email": "root@example.org", "password": "first-admin-pass"}
        )
        assert refused.status_code == 401
        # A reset password ends the sessions opened with the old one.
        assert_problem(await refresh(client, before.refresh_token), 401)
    assert await db.fetchval("SELECT count(*) FROM users") == 1


async def test_bootstrap_refuses_to_promote_an_existing_self_registered_account(
    make_client, db, caplog
) -> None:
    async with make_client() as client:
        await sign_up(client, "root@example.org")  # anyone may sign up with the address
    with pytest.raises(BootstrapConflict, match="AUTH_BOOTSTRAP_ADMIN_FORCE"):
        async with make_client(**ROOT):
            pass
    assert await db.fetchval("SELECT roles FROM users") == []
    assert any("AUTH_BOOTSTRAP_ADMIN_EMAIL" in r.getMessage() for r in caplog.records)
    with pytest.raises(BootstrapConflict):  # the same address typed in fullwidth
        fullwidth = "\N{FULLWIDTH LATIN SMALL LETTER R}oot@example.org"
        async with make_client(**{**ROOT, "bootstrap_admin_email": fullwidth}):
            pass


async def test_bootstrap_with_force_promotes_and_ends_the_accounts_sessions(
    make_client, db
) -> None:
    async with make_client() as client:
        squatter = await sign_up(client, "root@example.org")
    async with make_client(**ROOT, bootstrap_admin_force=True) as client:
        assert_problem(await refresh(client, squatter.refresh_token), 401)
        assert_problem(await client.get("/api/auth/me", headers=squatter.bearer), 401)
        login = await log_in(client, "root@example.org", "root-pass-123")
        assert "admin" in jwt_parts(login.access_token)[1]["scope"].split()
    event = await db.fetchrow(
        "SELECT details FROM audit_events WHERE event = $1", "bootstrap_admin_applied"
    )
    assert '"promoted": true' in event["details"]


async def test_replicas_starting_at_once_make_one_bootstrap_admin_and_one_signing_key(
    make_client, db
) -> None:
    async def start_replica() -> int:
        async with make_client(**ROOT) as client:
            login = await log_in(client, ROOT["bootstrap_admin_email"], "root-pass-123")
            return login.response.status_code

    # Four replicas' start-ups on an empty database, at once (as Kubernetes starts them).
    assert await asyncio.gather(*(start_replica() for _ in range(4))) == [200] * 4
    assert await db.fetchval("SELECT count(*) FROM users") == 1
    assert await db.fetchval("SELECT count(*) FROM signing_keys WHERE use = 'access'") == 1
