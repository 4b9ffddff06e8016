"""Helpers of the dynamic client registration tests (RFC 7591)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.oidc_flow import REDIRECT, admin_bearer

REGISTER = "/api/auth/oauth/register"


def metadata(**overrides: Any) -> dict[str, Any]:
    body = {
        "client_name": "Notes app",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "none",
        **overrides,
    }
    return {name: value for name, value in body.items() if value is not None}


async def register(
    client: httpx.AsyncClient, body: Any, token: str | None = None, **headers: str
) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post(REGISTER, json=body, headers=headers)


def assert_refused(response: httpx.Response, error: str) -> dict[str, Any]:
    """An RFC 7591 §3.2.2 error: 400, JSON, never cached."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error and body["error_description"], body
    return body


async def registration_token(client: httpx.AsyncClient, **body: int) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/admin/registration-tokens", json=body, headers=await admin_bearer(client)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def listed_clients(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/auth/admin/clients", headers=await admin_bearer(client))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found
