"""No token, password, cookie or secret in any log line.

A full journey on the session's stack (a user, an administrator, a service client; the
right and the wrong passwords and secrets; refreshes, log-outs) collects every secret it
used, then the stack's combined log (every process: gateway, services, databases) is
searched for each of them. A second test searches the log of every stack this test
session has booted so far for anything shaped like a JWT or a refresh cookie.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD, ARTIFACTS, RunningStack
from tests_e2e.waiting import wait_until

# The auth service's key-encryption key when none is set (as on the e2e stacks).
DEV_KEY_ENCRYPTION_KEY = "gatehouse-development-key-encryption-key-not-for-production"
CSRF = {"X-Requested-With": "fetch"}
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,}")
COOKIE_VALUE = re.compile(r"refresh_token=[A-Za-z0-9_-]{20,}")
SESSION_STARTED = time.time()


class Secrets:
    """Everything secret that the journey sends or receives."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, what: str, value: str) -> str:
        assert len(value) >= 7, f"{what} is too short to search for"
        self.values[f"{what} #{len(self.values)}"] = value
        # Tokens also go in part (a log line may cut a token, but not hide its signature).
        if value.count(".") == 2:
            self.values[f"{what} #{len(self.values)} signature"] = value.rsplit(".", 1)[1]
        return value

    def tokens_from(self, response: httpx.Response) -> str:
        assert response.status_code in (200, 201), response.text
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if name == "refresh_token" and value:
                self.add("refresh cookie", value)
        return self.add("access token", response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_password() -> str:
    return f"pw {secrets.token_urlsafe(12)} long enough"


def user_journey(http: httpx.Client, found: Secrets) -> None:
    email = f"secretive-{uuid.uuid4().hex[:10]}@gatehouse.example"
    password = found.add("password", unique_password())
    too_short = found.add("refused password", secrets.token_urlsafe(8)[:7])  # 7 < 8 characters
    refused = http.post("/api/auth/signup", json={"email": email, "password": too_short})
    assert refused.status_code == 422, refused.text
    access = found.tokens_from(
        http.post("/api/auth/signup", json={"email": email, "password": password})
    )
    wrong = found.add("wrong password", unique_password())
    assert http.post("/api/auth/login", json={"email": email, "password": wrong}).status_code == 401
    access = found.tokens_from(
        http.post("/api/auth/login", json={"email": email, "password": password})
    )
    access = found.tokens_from(http.post("/api/auth/refresh", headers=CSRF))
    for path in ("/api/auth/me", "/api/auth/sessions", "/api/resource/me"):
        assert http.get(path, headers=bearer(access)).status_code == 200, path
    note = http.post(
        "/api/resource/notes", json={"title": "t", "body": "b"}, headers=bearer(access)
    )
    assert note.status_code == 201, note.text
    url = f"/api/resource/notes/{note.json()['id']}"
    assert http.patch(url, json={"body": "c"}, headers=bearer(access)).status_code == 200
    assert http.delete(url, headers=bearer(access)).status_code == 204
    forged = found.add("forged token", f"{access.rsplit('.', 1)[0]}.{secrets.token_urlsafe(64)}")
    assert http.get("/api/resource/me", headers=bearer(forged)).status_code == 401
    assert http.get("/api/auth/me", headers=bearer(forged)).status_code == 401
    spent = http.cookies["refresh_token"]
    assert http.post("/api/auth/logout", headers=CSRF).status_code == 204
    http.cookies.set("refresh_token", spent, path="/api/auth")
    assert http.post("/api/auth/refresh", headers=CSRF).status_code == 401
    http.cookies.clear()
    access = found.tokens_from(
        http.post("/api/auth/login", json={"email": email, "password": password})
    )
    assert http.post("/api/auth/logout-all", headers=bearer(access)).status_code == 204


def admin_and_service_journey(http: httpx.Client, found: Secrets) -> None:
    admin = found.tokens_from(
        http.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    )
    registered = http.post(
        "/api/auth/admin/clients",
        json={"name": f"reporting-{uuid.uuid4().hex[:6]}", "scopes": ["stats:read"]},
        headers=bearer(admin),
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    secret = found.add("client secret", registered.json()["client_secret"])
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    found.add("Basic credentials", basic)
    grant = {"grant_type": "client_credentials"}
    service = found.tokens_from(
        http.post("/api/auth/oauth/token", data=grant, headers={"Authorization": f"Basic {basic}"})
    )
    assert http.get("/api/resource/admin/stats", headers=bearer(service)).status_code == 200
    form_auth = {**grant, "client_id": client_id, "client_secret": secret}
    found.tokens_from(http.post("/api/auth/oauth/token", data=form_auth))
    wrong = {**form_auth, "client_secret": found.add("wrong client secret", unique_password())}
    assert http.post("/api/auth/oauth/token", data=wrong).status_code == 401
    assert http.get("/api/auth/admin/audit", headers=bearer(admin)).status_code == 200
    assert http.get("/api/auth/admin/users", headers=bearer(admin)).status_code == 200


def flush_logs(stack: RunningStack, http: httpx.Client) -> str:
    """The stack's log once every line of the journey is in it: a last request to each
    service, with a request id of ours, comes after them in that service's output."""
    marker = f"log-flush-{uuid.uuid4().hex}"
    # Not the health probes: an answered probe leaves no access line.
    for path, status in (("/api/auth/.well-known/jwks.json", 200), ("/api/resource/me", 401)):
        assert http.get(path, headers={"X-Request-ID": marker}).status_code == status
    wait_until(
        lambda: stack.log_file.read_text(errors="replace").count(marker) >= 2,
        what=f"both services to log request {marker}",
    )
    return stack.log_file.read_text(errors="replace")


def lines_holding(log: str, value: str) -> list[str]:
    return [line[:160] for line in log.splitlines() if value in line]


def test_a_full_journey_leaves_no_token_password_cookie_or_secret_in_the_stack_log(
    stack: RunningStack,
) -> None:
    found = Secrets()
    found.add("bootstrap admin password", ADMIN_PASSWORD)
    found.add("key-encryption key", DEV_KEY_ENCRYPTION_KEY)
    with stack.client() as http:
        user_journey(http, found)
        admin_and_service_journey(http, found)
        log = flush_logs(stack, http)

    assert len(found.values) > 20
    leaks = {what: lines_holding(log, value) for what, value in found.values.items()}
    assert {what: lines for what, lines in leaks.items() if lines} == {}


def session_logs() -> Iterator[Path]:
    for log in sorted(ARTIFACTS.glob("*.log")):
        if log.stat().st_mtime >= SESSION_STARTED:
            yield log


def test_no_stack_log_of_this_session_holds_anything_shaped_like_a_token(
    stack: RunningStack,
) -> None:
    logs = list(session_logs())
    assert stack.log_file in logs
    leaks = {
        log.name: [
            line[:160]
            for line in log.read_text(errors="replace").splitlines()
            if JWT.search(line) or COOKIE_VALUE.search(line)
        ]
        for log in logs
    }
    assert {name: lines for name, lines in leaks.items() if lines} == {}


@pytest.mark.parametrize(
    "line",
    [
        'auth | {"msg": "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.'
        'c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc"}',
        "gateway | Cookie: refresh_token=eyJhbGciOiJIUzI1NiJ9abcdefghijklmnop",
    ],
)
def test_the_token_patterns_recognise_a_leaked_token(line: str) -> None:
    assert JWT.search(line) or COOKIE_VALUE.search(line)
