"""The rest of DESIGN's HTTP contract through the gateway, beyond the journeys
(test_journeys.py, test_account_mail.py): a user's sessions (list, revoke one, log out
everywhere), a password and an email changed, a verification link sent again, and an
administrator's clients and users. Each test runs on one replica of each service and on
two of each; on two, the requests of each test were spread over every replica."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from devstack.replicas import replicas_of
from tests_e2e.mail import mail_count, wait_for_link
from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD, RunningStack, served_by
from tests_e2e.waiting import wait_until

pytestmark = pytest.mark.contract

PASSWORD = "a perfectly fine e2e passphrase"
NEW_PASSWORD = "another perfectly fine passphrase"
CSRF = {"X-Requested-With": "fetch"}


def new_email() -> str:
    return f"contract-{uuid.uuid4().hex[:12]}@gatehouse.example"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_up(http: httpx.Client, email: str) -> str:
    signup = http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    return str(signup.json()["access_token"])


def log_in(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post("/api/auth/login", json={"email": email, "password": password})


@pytest.fixture
def spread(stack: RunningStack) -> Iterator[None]:
    """On replicas: the test's requests reached every replica of each service (each test
    sends several requests to each service, which the gateway hands out in turn)."""
    before = served_by(stack)
    yield
    processes = set(replicas_of(stack.settings))
    if len(processes) > 2:
        wait_until(
            lambda: processes <= set(served_by(stack) - before),
            what=f"requests logged by each of {sorted(processes)}",
            timeout=10,
        )


def test_a_user_lists_sessions_revokes_one_and_logs_out_everywhere(
    stack: RunningStack, spread: None
) -> None:
    email = new_email()
    with stack.client() as laptop, stack.client() as phone, stack.client() as tablet:
        sign_up(laptop, email)
        for device in (phone, tablet):
            assert log_in(device, email).status_code == 200
        access = laptop.post("/api/auth/refresh", headers=CSRF).json()["access_token"]
        listed = laptop.get("/api/auth/sessions", headers=bearer(access))
        assert listed.status_code == 200, listed.text
        sessions = listed.json()
        assert len(sessions) == 3
        assert [s["current"] for s in sessions].count(True) == 1

        # Revoke the phone's session from the laptop: the phone can no longer refresh.
        phone_access = phone.post("/api/auth/refresh", headers=CSRF).json()["access_token"]
        phone_sid = phone.get("/api/resource/me", headers=bearer(phone_access)).json()["sid"]
        laptop_sid = laptop.get("/api/resource/me", headers=bearer(access)).json()["sid"]
        assert {s["id"] for s in sessions if s["current"]} == {laptop_sid} != {phone_sid}
        revoked = laptop.delete(f"/api/auth/sessions/{phone_sid}", headers=bearer(access))
        assert revoked.status_code == 204
        assert phone.post("/api/auth/refresh", headers=CSRF).status_code == 401
        left = laptop.get("/api/auth/sessions", headers=bearer(access)).json()
        assert phone_sid not in {s["id"] for s in left} and len(left) == 2

        ended = laptop.post("/api/auth/logout-all", headers=bearer(access))
        assert ended.status_code == 204
        for device in (laptop, tablet):
            assert device.post("/api/auth/refresh", headers=CSRF).status_code == 401


def test_a_user_changes_password_and_email_and_asks_for_a_new_link(
    stack: RunningStack, spread: None
) -> None:
    email, new_address = new_email(), new_email()
    mail = stack.settings.mail_url
    with stack.client() as http, stack.client() as other_device:
        access = sign_up(http, email)
        assert log_in(other_device, email).status_code == 200

        changed = http.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer(access),
        )
        assert changed.status_code == 204, changed.text
        assert other_device.post("/api/auth/refresh", headers=CSRF).status_code == 401
        assert log_in(http, email).status_code == 401
        relogged = log_in(http, email, NEW_PASSWORD)
        assert relogged.status_code == 200, relogged.text
        access = relogged.json()["access_token"]
        assert http.get("/api/resource/me", headers=bearer(access)).json()["email"] == email

        sent = mail_count(mail, email)
        again = http.post("/api/auth/email/verify/resend", headers=bearer(access))
        assert again.status_code == 202, again.text
        wait_for_link(mail, email, "verify-email", after=sent)

        asked = http.post(
            "/api/auth/email/change",
            json={"new_email": new_address, "password": NEW_PASSWORD},
            headers=bearer(access),
        )
        assert asked.status_code == 202, asked.text
        link = wait_for_link(mail, new_address, "confirm-email")
        token = link.rsplit("#token=", 1)[1]
        confirmed = http.post("/api/auth/email/change/confirm", json={"token": token})
        assert confirmed.status_code == 204, confirmed.text
        assert log_in(http, new_address, NEW_PASSWORD).status_code == 200
        access = http.post("/api/auth/refresh", headers=CSRF).json()["access_token"]
        me = http.get("/api/auth/me", headers=bearer(access)).json()
        assert me["email"] == new_address and me["email_verified"] is True
        # The resource service knows the new address from the token alone.
        assert http.get("/api/resource/me", headers=bearer(access)).json()["email"] == new_address


def test_an_admin_lists_and_removes_clients_and_changes_a_users_roles(
    stack: RunningStack, spread: None
) -> None:
    with stack.client() as admin_http, stack.client() as user_http:
        login = log_in(admin_http, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert login.status_code == 200, login.text
        admin = bearer(login.json()["access_token"])
        name = f"contract-{uuid.uuid4().hex[:6]}"
        created = admin_http.post(
            "/api/auth/admin/clients", json={"name": name, "scopes": ["stats:read"]}, headers=admin
        )
        assert created.status_code == 201, created.text
        client_id = created.json()["client_id"]
        listed = admin_http.get("/api/auth/admin/clients", headers=admin).json()
        assert {"client_id": client_id, "name": name} in [
            {"client_id": c["client_id"], "name": c["name"]} for c in listed
        ]
        # The secret is shown once, at creation: no listed client has one, under any name.
        secret = created.json()["client_secret"]
        assert all("client_secret" not in c for c in listed) and secret not in str(listed)
        removed = admin_http.delete(f"/api/auth/admin/clients/{client_id}", headers=admin)
        assert removed.status_code == 204
        grant = admin_http.post(
            "/api/auth/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, created.json()["client_secret"]),
        )
        assert grant.status_code == 401 and grant.json()["error"] == "invalid_client"

        email = new_email()
        user = bearer(sign_up(user_http, email))
        user_id = user_http.get("/api/auth/me", headers=user).json()["id"]
        page = admin_http.get("/api/auth/admin/users", params={"limit": 1}, headers=admin)
        assert page.status_code == 200, page.text
        assert page.json()["total"] >= 2 and len(page.json()["items"]) == 1
        promoted = admin_http.patch(
            f"/api/auth/admin/users/{user_id}", json={"roles": ["admin"]}, headers=admin
        )
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["roles"] == ["admin"]
        # A role change ends the user's sessions; a new log-in carries the new scope.
        assert user_http.post("/api/auth/refresh", headers=CSRF).status_code == 401
        relogged = bearer(log_in(user_http, email).json()["access_token"])
        assert (
            "admin" in user_http.get("/api/resource/me", headers=relogged).json()["scope"].split()
        )
        stats = user_http.get("/api/resource/admin/stats", headers=relogged)
        assert stats.status_code == 200, stats.text


@pytest.mark.parametrize("service", ["auth", "resource"])
def test_each_service_answers_liveness_and_readiness(stack: RunningStack, service: str) -> None:
    with stack.client() as http:
        for probe in ("healthz", "readyz"):
            answer = http.get(f"/api/{service}/{probe}")
            assert answer.status_code == 200, (probe, answer.text)
