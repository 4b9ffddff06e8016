from __future__ import annotations

from tests.helpers import PASSWORD, assert_problem, jwt_parts, log_in, refresh, sign_up

ADMIN = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}


async def test_security_events_are_recorded_and_readable_by_admins(make_client, clock) -> None:
    async with make_client(refresh_reuse_grace=10, **ADMIN) as client:
        admin = await log_in(client, "root@example.org", "root-pass-123")
        ann = await sign_up(client, "ann@example.org")
        await client.post(
            "/api/auth/login",
            json={"email": "ann@example.org", "password": "wrong-pw-1"},
            headers={"X-Forwarded-For": "203.0.113.5"},
        )
        second = await log_in(client, "ann@example.org")
        await refresh(client, ann.refresh_token)
        clock.advance(11)  # past the reuse grace
        await refresh(client, ann.refresh_token)  # reuse: the session is revoked
        await client.post(
            "/api/auth/logout",
            headers={"X-Requested-With": "x", "Cookie": f"refresh_token={second.refresh_token}"},
        )
        third = await log_in(client, "ann@example.org")
        await client.post("/api/auth/logout-all", headers=third.bearer)
        ann_id = jwt_parts(ann.access_token)[1]["sub"]
        await client.patch(
            f"/api/auth/admin/users/{ann_id}", json={"roles": ["editor"]}, headers=admin.bearer
        )
        created = (
            await client.post("/api/auth/admin/clients", json={"name": "svc"}, headers=admin.bearer)
        ).json()
        await client.delete(f"/api/auth/admin/clients/{created['client_id']}", headers=admin.bearer)

        page = (await client.get("/api/auth/admin/audit", headers=admin.bearer)).json()
        events = [item["event"] for item in reversed(page["items"])]
        assert events == [
            "bootstrap_admin_applied",
            "login_succeeded",
            "signup",
            "login_failed",
            "login_succeeded",
            "refresh_reuse_revoked_session",
            "logout",
            "login_succeeded",
            "logout_all",
            "roles_changed",
            "client_created",
            "client_deleted",
        ]
        by_event = {item["event"]: item for item in page["items"]}
        assert by_event["login_failed"]["subject"] == "ann@example.org"
        assert by_event["login_failed"]["ip_address"] == "203.0.113.5"
        assert (
            by_event["refresh_reuse_revoked_session"]["session_id"]
            == jwt_parts(ann.access_token)[1]["sid"]
        )
        assert by_event["roles_changed"]["details"] == {
            "before": [],
            "after": ["editor"],
            "sessions_ended": 0,  # log-out-all ended them already
        }
        assert by_event["signup"]["request_id"]

        first = (await client.get("/api/auth/admin/audit?limit=4", headers=admin.bearer)).json()
        rest = (
            await client.get(
                f"/api/auth/admin/audit?limit=100&before={first['next_before']}",
                headers=admin.bearer,
            )
        ).json()
        assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in page["items"]]
        failed = (
            await client.get("/api/auth/admin/audit?event=login_failed", headers=admin.bearer)
        ).json()
        assert [i["event"] for i in failed["items"]] == ["login_failed"]
        assert_problem(await client.get("/api/auth/admin/audit", headers=third.bearer), 401)
        fourth = await log_in(client, "ann@example.org")  # a live session, and no admin role
        refused = await client.get("/api/auth/admin/audit", headers=fourth.bearer)
        assert_problem(refused, 403, "insufficient_scope")


async def test_a_log_in_event_names_its_session_user_address_and_request(make_client) -> None:
    async with make_client(**ADMIN) as client:
        admin = await log_in(client, "root@example.org", "root-pass-123")
        await sign_up(client, "ann@example.org")
        response = await client.post(
            "/api/auth/login",
            json={"email": "ann@example.org", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "req-login-1"},
        )
        claims = jwt_parts(response.json()["access_token"])[1]
        events = (
            await client.get("/api/auth/admin/audit?event=login_succeeded", headers=admin.bearer)
        ).json()["items"]
        event = events[0]  # newest first
        assert event["session_id"] == claims["sid"]
        assert event["actor"] == claims["sub"]
        assert event["subject"] == "ann@example.org"
        assert event["ip_address"] == "203.0.113.9"
        assert event["request_id"] == "req-login-1"
        assert event["details"] == {}
