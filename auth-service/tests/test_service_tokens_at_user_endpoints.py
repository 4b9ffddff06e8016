"""A service client's token (no `sid`, sub = client id) is not a user: the user endpoints
refuse it with 401 invalid_token (RFC 6750 §3.1: the token is not valid for this resource;
no scope would make it valid, so not 403 insufficient_scope)."""

from __future__ import annotations

import base64

import pytest

from tests.helpers import assert_problem, log_in

ADMIN = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}


async def _service_token(client, scopes: list[str]) -> str:
    admin = await log_in(client, "root@example.org", "root-pass-123")
    created = await client.post(
        "/api/auth/admin/clients", json={"name": "billing", "scopes": scopes}, headers=admin.bearer
    )
    assert created.status_code == 201, created.text
    basic = base64.b64encode(
        f"{created.json()['client_id']}:{created.json()['client_secret']}".encode()
    ).decode()
    response = await client.post(
        "/api/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/me"),
        ("GET", "/api/auth/sessions"),
        ("DELETE", "/api/auth/sessions/00000000-0000-4000-8000-000000000000"),
        ("POST", "/api/auth/logout-all"),
        ("POST", "/api/auth/reauth"),
        ("POST", "/api/auth/password"),
        ("POST", "/api/auth/email/change"),
        ("POST", "/api/auth/email/verify/resend"),
    ],
)
async def test_service_client_token_is_refused_at_user_endpoints(make_client, method, path) -> None:
    async with make_client(**ADMIN) as client:
        # Even with every scope a service client may hold, a service is not a user.
        token = await _service_token(client, ["stats:read", "notes:write"])
        response = await client.request(method, path, headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "invalid_token")
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        # The administrator's own session is untouched by the refused call.
        admin = await log_in(client, "root@example.org", "root-pass-123")
        sessions = await client.get("/api/auth/sessions", headers=admin.bearer)
        assert sessions.status_code == 200 and len(sessions.json()) == 2
