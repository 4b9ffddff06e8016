"""A user's and a service's journeys through the gateway, on the stack `make run` starts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD, RunningStack

# Each test runs on one replica of each service, then on two of each (conftest).
pytestmark = pytest.mark.contract

PASSWORD = "a perfectly fine e2e passphrase"
CSRF = {"X-Requested-With": "fetch"}


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@gatehouse.example"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh_cookie(response: httpx.Response) -> str:
    """The raw Set-Cookie header of the refresh token in `response`."""
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("refresh_token=")]
    assert len(cookies) == 1, response.headers.get_list("set-cookie")
    return cookies[0]


def cookie_attributes(set_cookie: str) -> dict[str, str]:
    parts = [part.strip() for part in set_cookie.split(";")]
    return {k.lower(): v for k, _, v in (part.partition("=") for part in parts[1:])}


def sign_up(client: httpx.Client, email: str | None = None) -> str:
    response = client.post(
        "/api/auth/signup", json={"email": email or new_email(), "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def second_client(stack: RunningStack) -> Iterator[httpx.Client]:
    with stack.client() as http:
        yield http


def test_a_user_signs_up_refreshes_keeps_notes_and_logs_out(client: httpx.Client) -> None:
    email = new_email()
    signup = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    tokens = signup.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    attributes = cookie_attributes(refresh_cookie(signup))
    assert attributes["path"] == "/api/auth"
    assert "httponly" in attributes and attributes["samesite"].lower() == "strict"
    assert "secure" not in attributes  # `make run` is plain HTTP on localhost
    access = tokens["access_token"]

    me = client.get("/api/resource/me", headers=bearer(access))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == email

    # Refresh: a new access token and a rotated cookie; the CSRF header is required.
    spent_cookie = client.cookies["refresh_token"]
    assert client.post("/api/auth/refresh").status_code == 403
    refreshed = client.post("/api/auth/refresh", headers=CSRF)
    assert refreshed.status_code == 200, refreshed.text
    assert client.cookies["refresh_token"] != spent_cookie
    access = refreshed.json()["access_token"]
    assert client.get("/api/resource/me", headers=bearer(access)).status_code == 200

    # Notes: create, list, read, update, delete.
    created = client.post(
        "/api/resource/notes", json={"title": "Groceries", "body": "milk"}, headers=bearer(access)
    )
    assert created.status_code == 201, created.text
    note = created.json()
    assert [n["id"] for n in client.get("/api/resource/notes", headers=bearer(access)).json()] == [
        note["id"]
    ]
    updated = client.patch(
        f"/api/resource/notes/{note['id']}", json={"body": "oat milk"}, headers=bearer(access)
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["body"] == "oat milk"
    read = client.get(f"/api/resource/notes/{note['id']}", headers=bearer(access))
    assert read.json()["body"] == "oat milk"
    deleted = client.delete(f"/api/resource/notes/{note['id']}", headers=bearer(access))
    assert deleted.status_code == 204
    gone = client.get(f"/api/resource/notes/{note['id']}", headers=bearer(access))
    assert gone.status_code == 404

    # Log out: the cookie is cleared and the session's refresh token no longer works.
    live_cookie = client.cookies["refresh_token"]
    logout = client.post("/api/auth/logout", headers=CSRF)
    assert logout.status_code == 204
    assert "refresh_token" not in client.cookies
    client.cookies.set("refresh_token", live_cookie, path="/api/auth")
    assert client.post("/api/auth/refresh", headers=CSRF).status_code == 401


def test_another_users_note_is_not_found(client: httpx.Client, second_client: httpx.Client) -> None:
    owner = sign_up(client)
    note = client.post(
        "/api/resource/notes", json={"title": "mine", "body": "secret"}, headers=bearer(owner)
    ).json()
    intruder = sign_up(second_client)
    for method in ("GET", "PATCH", "DELETE"):
        body = {"body": "x"} if method == "PATCH" else None
        url = f"/api/resource/notes/{note['id']}"
        response = second_client.request(method, url, json=body, headers=bearer(intruder))
        assert response.status_code == 404, (method, response.text)
    assert second_client.get("/api/resource/notes", headers=bearer(intruder)).json() == []


def test_a_refresh_from_a_foreign_origin_is_refused(client: httpx.Client) -> None:
    sign_up(client)
    response = client.post("/api/auth/refresh", headers={**CSRF, "Origin": "https://evil.example"})
    assert response.status_code == 403


def test_an_admin_registers_a_service_that_reads_stats(client: httpx.Client) -> None:
    login = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    admin = login.json()["access_token"]

    registered = client.post(
        "/api/auth/admin/clients",
        json={"name": f"reporting-{uuid.uuid4().hex[:6]}", "scopes": ["stats:read"]},
        headers=bearer(admin),
    )
    assert registered.status_code == 201, registered.text
    service = registered.json()
    assert service["client_secret"]

    with httpx.Client(base_url=str(client.base_url), timeout=30) as machine:
        token = machine.post(
            "/api/auth/oauth/token",
            data={"grant_type": "client_credentials", "scope": "stats:read"},
            auth=(service["client_id"], service["client_secret"]),
        )
        assert token.status_code == 200, token.text
        assert token.json()["token_type"] == "Bearer"
        stats = machine.get(
            "/api/resource/admin/stats", headers=bearer(token.json()["access_token"])
        )
        assert stats.status_code == 200, stats.text

        wrong = machine.post(
            "/api/auth/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(service["client_id"], "not-the-secret"),
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_client"


def test_an_ordinary_user_cannot_read_stats_or_register_clients(client: httpx.Client) -> None:
    user = sign_up(client)
    assert client.get("/api/resource/admin/stats", headers=bearer(user)).status_code == 403
    created = client.post(
        "/api/auth/admin/clients",
        json={"name": "x", "scopes": ["stats:read"]},
        headers=bearer(user),
    )
    assert created.status_code == 403


def test_the_issuer_and_keys_are_published_through_the_gateway(
    stack: RunningStack, client: httpx.Client
) -> None:
    discovery = client.get("/api/auth/.well-known/openid-configuration")
    assert discovery.status_code == 200
    assert discovery.json()["issuer"] == f"{stack.base_url}/api/auth"
    keys = client.get("/api/auth/.well-known/jwks.json").json()["keys"]
    assert keys and all("d" not in key for key in keys)  # public parts only
