"""The two-step log-in of an account with an authenticator app, through the gateway."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import pyotp
from tests_e2e.mail import wait_for_link
from tests_e2e.stacks import RunningStack

PASSWORD = "a perfectly fine e2e passphrase"
CSRF = {"X-Requested-With": "fetch"}


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _password_step(client: httpx.Client, email: str) -> str:
    answer = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert answer.json()["mfa_required"] is True and "access_token" not in answer.json()
    assert not answer.headers.get_list("set-cookie")
    return str(answer.json()["mfa_token"])


def test_the_two_step_log_in_through_the_gateway(stack: RunningStack) -> None:
    email = f"mfa-{uuid.uuid4().hex[:12]}@gatehouse.example"
    with stack.client() as client:
        signup = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        access = signup.json()["access_token"]
        # An authenticator app is set up on a verified email only: the mailed link first.
        link = wait_for_link(stack.settings.mail_url, email, "verify-email")
        token = link.split("#token=", 1)[1]
        verified = client.post("/api/auth/email/verify", json={"token": token})
        assert verified.status_code == 204, verified.text
        started = client.post("/api/auth/mfa/totp", headers=_bearer(access))
        assert started.status_code == 200, started.text
        totp = pyotp.TOTP(started.json()["secret"])
        confirmed = client.post(
            "/api/auth/mfa/totp/confirm", json={"code": totp.now()}, headers=_bearer(access)
        )
        assert confirmed.status_code == 200, confirmed.text
        recovery_codes = confirmed.json()["recovery_codes"]

    with stack.client() as browser:  # another device: no cookie yet
        token = _password_step(browser, email)
        as_bearer = browser.get("/api/resource/me", headers=_bearer(token))
        assert as_bearer.status_code == 401
        assert as_bearer.headers["content-type"].startswith("application/problem+json")
        # The next step's code: never the one the enrolment used, within the drift window.
        done = browser.post(
            "/api/auth/login/mfa",
            json={"mfa_token": token, "code": totp.at(time.time() + 30)},
        )
        assert done.status_code == 200, done.text
        assert _claims(done.json()["access_token"])["amr"] == ["pwd", "otp", "mfa"]
        me = browser.get("/api/resource/me", headers=_bearer(done.json()["access_token"]))
        assert me.status_code == 200 and me.json()["email"] == email
        renewed = browser.post("/api/auth/refresh", headers=CSRF)
        assert renewed.status_code == 200, renewed.text
        assert _claims(renewed.json()["access_token"])["amr"] == ["pwd", "otp", "mfa"]
        replayed = browser.post("/api/auth/login/mfa", json={"mfa_token": token, "code": "1"})
        assert replayed.status_code == 401

    with stack.client() as other:
        token = _password_step(other, email)
        recovered = other.post(
            "/api/auth/login/mfa",
            json={"mfa_token": token, "recovery_code": recovery_codes[0].upper()},
        )
        assert recovered.status_code == 200, recovered.text
        assert any(c.startswith("refresh_token=") for c in recovered.headers.get_list("set-cookie"))
