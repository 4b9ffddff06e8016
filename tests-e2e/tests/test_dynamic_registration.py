"""Dynamic client registration (RFC 7591) with an unmodified third-party library: an app
on openid-client registers itself at a stack with AUTH_CLIENT_REGISTRATION=open, finds
the endpoint through discovery, and signs a person in with the client it got (code flow
with PKCE, its own checks of the id_token, userinfo); the administrator sees the client."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from tests_e2e.oidc import NODE_APP, admin_token, authorize, bearer, issuer, sign_up
from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD, RunningStack

# Nothing listens there: the test reads the redirect and hands it to the app itself.
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def open_stack(stack_factory: Callable[..., RunningStack]) -> RunningStack:
    env = {
        "AUTH_CLIENT_REGISTRATION": "open",
        "AUTH_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "AUTH_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    return stack_factory(env, name="registration")


@pytest.fixture
def node_app(open_stack: RunningStack) -> Iterator[subprocess.Popen[str]]:
    assert (NODE_APP / "node_modules" / "openid-client").is_dir(), "run `make install`"
    env = {**os.environ, "GATEHOUSE_ISSUER": issuer(open_stack.base_url), "REDIRECT_URI": REDIRECT}
    with subprocess.Popen(
        ["node", str(NODE_APP / "register.mjs")],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:  # leaving the block closes its pipes and waits for it
        try:
            yield process
        finally:
            process.kill()


def line_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    line = stdout.readline()
    if not line:
        stderr = process.stderr.read() if process.stderr else ""
        raise AssertionError(f"the openid-client app stopped: {stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(line)
    return answer


def test_an_openid_client_app_registers_itself_and_signs_a_person_in(
    open_stack: RunningStack, node_app: subprocess.Popen[str]
) -> None:
    registered = line_of(node_app)
    client = registered["client"]
    assert client["client_id"].startswith("app_") and "client_secret" not in client
    assert client["redirect_uris"] == [REDIRECT]
    params = dict(parse_qsl(urlsplit(registered["authorization_url"]).query))
    assert params["client_id"] == client["client_id"]
    with open_stack.client() as http:
        person = sign_up(http, "a registration e2e passphrase")
        callback = authorize(http, person.token, params)  # consent: it is never first-party
    assert node_app.stdin is not None
    node_app.stdin.write(callback + "\n")
    node_app.stdin.flush()
    signed_in = line_of(node_app)
    assert signed_in["id_token"]["aud"] == client["client_id"]
    assert signed_in["id_token"]["sub"] == person.sub == signed_in["userinfo"]["sub"]
    assert signed_in["userinfo"]["email"] == person.email
    with httpx.Client(base_url=open_stack.base_url, timeout=30) as http:
        listed = http.get(
            "/api/auth/admin/clients", headers=bearer(admin_token(open_stack.base_url))
        )
    (found,) = [c for c in listed.json() if c["client_id"] == client["client_id"]]
    assert found["dynamically_registered"] is True and found["first_party"] is False
