"""Gatehouse as an OpenID Provider, seen from the tests: registering applications through
the admin API, the authorization flow driven over HTTP as the web app's pages drive it
(the bounce page's decision loop, then consent), and the third-party relying parties of
tests-e2e/relying_parties/ run as processes of their own on 127.0.0.1 (another site than
Gatehouse's http://localhost:<port>)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from devstack.ports import free_port, port_in_use
from devstack.settings import find_root

from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD

ROOT = find_root(Path(__file__))
RELYING_PARTIES = ROOT / "tests-e2e" / "relying_parties"
NODE_APP = RELYING_PARTIES / "node"
ISSUER_PATH = "/api/auth"


def issuer(base_url: str) -> str:
    return f"{base_url.rstrip('/')}{ISSUER_PATH}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_token(base_url: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        login = http.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        assert isinstance(token, str)
        return token


def register_app(
    base_url: str,
    redirect_uris: list[str],
    *,
    post_logout_redirect_uris: list[str] | None = None,
    auth_method: str = "client_secret_basic",
    first_party: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """An OpenID Connect application registered by an administrator (POST /admin/clients)."""
    form = {
        "name": f"App {uuid.uuid4().hex[:6]}",
        "scopes": ["openid", "profile", "email"],
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris or [],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": auth_method,
        "first_party": first_party,
        **extra,
    }
    with httpx.Client(base_url=base_url, timeout=30) as http:
        created = http.post(
            "/api/auth/admin/clients", json=form, headers=bearer(admin_token(base_url))
        )
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def claims_of(jwt: str) -> dict[str, Any]:
    """A JWT's payload, unverified (for reading a token the test already trusts)."""
    payload = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def start_authorization(http: httpx.Client, params: Mapping[str, str]) -> str:
    """GET /oauth/authorize; returns the stored request's id from the bounce redirect."""
    answer = http.get("/api/auth/oauth/authorize", params=dict(params))
    assert answer.status_code == 303, (answer.status_code, answer.text)
    location = answer.headers["location"]
    assert urlsplit(location).path == "/authorize", location
    return query_of(location)["request"]


def decide(http: httpx.Client, request_id: str, user_token: str | None) -> dict[str, Any]:
    """What the bounce page asks the server: the next step of the authorization request."""
    headers = bearer(user_token) if user_token else {}
    answer = http.post(f"/api/auth/oauth/authorize/{request_id}", json={}, headers=headers)
    assert answer.status_code == 200, (answer.status_code, answer.text)
    decision: dict[str, Any] = answer.json()
    return decision


def consent(http: httpx.Client, request_id: str, user_token: str, allow: bool = True) -> str:
    answer = http.post(
        f"/api/auth/oauth/authorize/{request_id}/consent",
        json={"allow": allow},
        headers=bearer(user_token),
    )
    assert answer.status_code == 200, (answer.status_code, answer.text)
    decision = answer.json()
    assert decision["action"] == "redirect", decision
    url: str = decision["url"]
    return url


def authorize(http: httpx.Client, user_token: str, params: Mapping[str, str]) -> str:
    """The whole authorization as the pages run it for a logged-in person who allows the
    app: returns the URL the browser would be sent to (the app's redirect_uri + code)."""
    request_id = start_authorization(http, params)
    decision = decide(http, request_id, user_token)
    if decision["action"] == "consent":
        return consent(http, request_id, user_token)
    assert decision["action"] == "redirect", decision
    url: str = decision["url"]
    return url


@dataclass
class Person:
    """A user with a Gatehouse session; `token` is the web app's access token of it."""

    email: str
    token: str
    sub: str


def sign_up(http: httpx.Client, password: str) -> Person:
    email = f"oidc-{uuid.uuid4().hex[:12]}@example.com"
    answer = http.post("/api/auth/signup", json={"email": email, "password": password})
    assert answer.status_code == 201, answer.text
    token = answer.json()["access_token"]
    return Person(email, token, claims_of(token)["sub"])


@dataclass
class Code:
    """An authorization code as the app's redirect_uri received it, with what the app kept."""

    code: str
    verifier: str
    nonce: str
    redirect_uri: str


def code_flow(http: httpx.Client, app: Mapping[str, Any], person: Person, **params: str) -> Code:
    """Runs the authorization for `app` (its first redirect URI) and checks the response
    the app gets: `state` echoed, `iss` the issuer (RFC 9207), a code."""
    verifier, challenge = pkce_pair()
    nonce, state = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    redirect_uri = app["redirect_uris"][0]
    url = authorize(
        http,
        person.token,
        {
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": redirect_uri,
            "scope": "openid email",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **params,
        },
    )
    assert url.startswith(f"{redirect_uri}?"), url
    answer = query_of(url)
    assert answer["state"] == state, answer
    assert answer["iss"] == issuer(str(http.base_url)), answer
    return Code(answer["code"], verifier, nonce, redirect_uri)


def exchange_form(code: Code, **changes: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code.code,
        "redirect_uri": code.redirect_uri,
        "code_verifier": code.verifier,
        **changes,
    }


def exchange(
    http: httpx.Client, app: Mapping[str, Any], code: Code, **changes: str
) -> httpx.Response:
    """The token request of a confidential app (client_secret_basic)."""
    return http.post(
        "/api/auth/oauth/token",
        data=exchange_form(code, **changes),
        auth=(app["client_id"], app["client_secret"]),
    )


@dataclass
class RelyingParty:
    """A third-party app on 127.0.0.1:<port>, registered at Gatehouse."""

    kind: str
    url: str
    client: dict[str, Any]


def _command(kind: str) -> list[str]:
    if kind == "authlib":
        return [sys.executable, str(RELYING_PARTIES / "authlib_app.py")]
    assert (NODE_APP / "node_modules" / "openid-client").is_dir(), (
        "the Node relying party is not installed: run `make install`"
    )
    return ["node", str(NODE_APP / "app.mjs")]


def _wait_for_app(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # The apps read Gatehouse's discovery document before they listen: one that exits
    # (discovery refused, say) says why in its log.
    deadline = time.monotonic() + 30
    while not port_in_use(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"relying party did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)


@contextmanager
def relying_party(kind: str, base_url: str, log_dir: Path) -> Iterator[RelyingParty]:
    """Registers an app for `kind` (`authlib`: client_secret_basic, `openid-client`:
    client_secret_post) and serves it on a free port until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    method = "client_secret_basic" if kind == "authlib" else "client_secret_post"
    client = register_app(
        base_url,
        [f"{url}/callback"],
        post_logout_redirect_uris=[f"{url}/logged-out"],
        auth_method=method,
    )
    env = {
        **os.environ,
        "GATEHOUSE_ISSUER": issuer(base_url),
        "APP_URL": url,
        "CLIENT_ID": client["client_id"],
        "CLIENT_SECRET": client["client_secret"],
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"rp-{kind}-{port}.log", "w") as log:
        process = subprocess.Popen(  # noqa: S603 - the repository's own test apps
            _command(kind), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_for_app(process, port, Path(log.name))
            yield RelyingParty(kind, url, client)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
