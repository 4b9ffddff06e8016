"""Applications registered at the real stack's OpenID Provider for the browser tests and
the screenshots: each on http://127.0.0.1:<port> (another site than Gatehouse's
http://localhost), and what a person does with them over HTTP."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
from devstack.ports import free_port

from tests_e2e.oidc import Person, claims_of, code_flow, pkce_pair, register_app

STATE = "st4te"


def loopback_app(base_url: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    """An application registered for http://127.0.0.1:<port>/callback (another site than
    Gatehouse's http://localhost); nothing needs to listen there for a page that never
    goes back to it. A unique `name` unless given."""
    url = f"http://127.0.0.1:{free_port()}"
    name = name or f"Photo Book {uuid.uuid4().hex[:6]}"
    return register_app(base_url, [f"{url}/callback"], name=name, **extra)


def authorize_url(base_url: str, app: dict[str, Any], **params: str) -> str:
    """The authorization request an application sends the browser with (PKCE, state)."""
    _, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": app["redirect_uris"][0],
        "scope": "openid email",
        "state": STATE,
        "nonce": uuid.uuid4().hex,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    return f"{base_url}/api/auth/oauth/authorize?{urlencode(query)}"


def grant_access(base_url: str, token: str, app: dict[str, Any]) -> None:
    """The person of `token` allows `app` (over HTTP, as the pages do): a grant."""
    person = Person("", token, claims_of(token)["sub"])
    with httpx.Client(base_url=base_url, timeout=30) as http:
        code_flow(http, app, person)


def grants_of(base_url: str, token: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        answer = http.get("/api/auth/grants", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    grants: list[dict[str, Any]] = answer.json()
    return grants
