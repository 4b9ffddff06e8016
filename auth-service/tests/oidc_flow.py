"""Helpers of the OpenID Provider tests: an application registered by the admin, a
person signed in to the web app, and the authorization flow as the bounce page runs it."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.helpers import Login, sign_up

ADMIN = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}
ISSUER = "http://localhost:8080/api/auth"
REDIRECT = "http://127.0.0.1:9999/callback"
AUTHORIZE = "/api/auth/oauth/authorize"
TOKEN = "/api/auth/oauth/token"


async def admin_bearer(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"email": "root@example.org", "password": "root-pass-123"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def register_app(client: httpx.AsyncClient, **options: Any) -> dict[str, Any]:
    body = {
        "name": "Notes app",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        **options,
    }
    response = await client.post(
        "/api/auth/admin/clients", json=body, headers=await admin_bearer(client)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Flow:
    client_id: str
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    scope: str = "openid email"

    def params(self, **extra: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
            **extra,
        }
        return {name: value for name, value in params.items() if value != ""}


async def start(client: httpx.AsyncClient, params: dict[str, str]) -> str:
    """The request id of the bounce page the authorization endpoint sends the browser to."""
    response = await client.get(AUTHORIZE, params=params)
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == (
        "http",
        "localhost:8080",
        "/authorize",
    )
    return parse_qs(location.query)["request"][0]


async def decide(client: httpx.AsyncClient, request_id: str, login: Login | None) -> dict[str, Any]:
    headers = login.bearer if login else {}
    response = await client.post(f"{AUTHORIZE}/{request_id}", json={}, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def query_of(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT, url
    return {name: values[0] for name, values in parse_qs(parts.query).items()}


async def code_for(
    client: httpx.AsyncClient, flow: Flow, login: Login, **extra: str
) -> dict[str, str]:
    """The callback query after the person allowed the app (consent when asked)."""
    request_id = await start(client, flow.params(**extra))
    answer = await decide(client, request_id, login)
    if answer["action"] == "consent":
        response = await client.post(
            f"{AUTHORIZE}/{request_id}/consent", json={"allow": True}, headers=login.bearer
        )
        assert response.status_code == 200, response.text
        answer = response.json()
    assert answer["action"] == "redirect", answer
    return query_of(answer["url"])


async def exchange(
    client: httpx.AsyncClient, flow: Flow, code: str, **extra: str
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": flow.client_id,
        "code_verifier": flow.verifier,
        **extra,
    }
    return await client.post(TOKEN, data={k: v for k, v in data.items() if v != ""})


async def person(client: httpx.AsyncClient, email: str = "ann@example.org") -> Login:
    return await sign_up(client, email)
