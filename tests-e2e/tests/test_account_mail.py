"""The account lifecycle by mail over HTTP through the gateway, the mail read back from the
stack's catcher through Mailpit's API: a forgotten password reset with the mailed link,
an email verified with it, and a link scanner's GET that leaves the token usable."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from tests_e2e.mail import mail_count, wait_for_link
from tests_e2e.stacks import RunningStack

# Each test runs on one replica of each service, then on two of each (conftest).
pytestmark = pytest.mark.contract

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase for this test"


def _email() -> str:
    return f"mail-{uuid.uuid4().hex[:12]}@example.com"


def _sign_up(client: httpx.Client, email: str) -> str:
    response = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def _token(link: str) -> str:
    fragment = urlsplit(link).fragment
    assert fragment.startswith("token=")
    return fragment.removeprefix("token=")


def _log_in(client: httpx.Client, email: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


def test_a_forgotten_password_is_reset_with_the_mailed_link(
    client: httpx.Client, stack: RunningStack
) -> None:
    email = _email()
    _sign_up(client, email)
    before = mail_count(stack.settings.mail_url, email)

    asked = client.post("/api/auth/password/forgot", json={"email": email})
    assert asked.status_code == 202
    link = wait_for_link(stack.settings.mail_url, email, "reset-password", after=before)
    assert urlsplit(link).path == "/reset-password"
    assert link.startswith(str(stack.base_url))  # the web app of this stack

    reset = {"token": _token(link), "new_password": NEW_PASSWORD}
    assert client.post("/api/auth/password/reset", json=reset).status_code == 204
    assert _log_in(client, email, PASSWORD) == 401
    assert _log_in(client, email, NEW_PASSWORD) == 200
    # Single use.
    again = client.post("/api/auth/password/reset", json={**reset, "new_password": PASSWORD})
    assert again.status_code // 100 == 4
    assert again.headers["content-type"].startswith("application/problem+json")


def test_forgot_password_answers_the_same_for_an_unknown_email(
    client: httpx.Client, stack: RunningStack
) -> None:
    known = _email()
    _sign_up(client, known)

    answers = [
        client.post("/api/auth/password/forgot", json={"email": email})
        for email in (known, _email())
    ]
    assert {a.status_code for a in answers} == {202}
    assert answers[0].content == answers[1].content


def test_a_link_scanners_get_of_the_page_does_not_spend_the_token(
    client: httpx.Client, stack: RunningStack
) -> None:
    email = _email()
    _sign_up(client, email)
    before = mail_count(stack.settings.mail_url, email)
    client.post("/api/auth/password/forgot", json={"email": email})
    link = wait_for_link(stack.settings.mail_url, email, "reset-password", after=before)

    # What a mail scanner does: fetch the link (the fragment never leaves the client).
    with httpx.Client(timeout=10, follow_redirects=True) as scanner:
        page = scanner.get(f"{stack.base_url}{urlsplit(link).path}#{urlsplit(link).fragment}")
    assert page.status_code == 200
    assert "Set new password" in page.text

    reset = {"token": _token(link), "new_password": NEW_PASSWORD}
    assert client.post("/api/auth/password/reset", json=reset).status_code == 204


def test_the_email_is_verified_with_the_mailed_link(
    client: httpx.Client, stack: RunningStack
) -> None:
    email = _email()
    access = _sign_up(client, email)
    bearer = {"Authorization": f"Bearer {access}"}
    assert client.get("/api/auth/me", headers=bearer).json()["email_verified"] is False

    link = wait_for_link(stack.settings.mail_url, email, "verify-email")
    assert urlsplit(link).path == "/verify-email"
    verified = client.post("/api/auth/email/verify", json={"token": _token(link)})

    assert verified.status_code == 204
    assert client.get("/api/auth/me", headers=bearer).json()["email_verified"] is True
