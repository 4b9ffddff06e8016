from __future__ import annotations

import base64

import pytest

from tests.helpers import jwt_parts, log_in

ADMIN = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}
TOKEN_URL = "/api/auth/oauth/token"


@pytest.fixture
async def admin_client(make_client):
    async with make_client(**ADMIN) as client:
        login = await log_in(client, "root@example.org", "root-pass-123")
        client.headers["Authorization"] = f"Bearer {login.access_token}"
        yield client


async def _register(client, scopes: list[str]) -> dict:
    response = await client.post(
        "/api/auth/admin/clients", json={"name": "billing", "scopes": scopes}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def _token(client, data: dict, headers: dict | None = None):
    # A service calls the token endpoint without any user's Bearer token.
    return await client.post(TOKEN_URL, data=data, headers={"Authorization": "", **(headers or {})})


def _assert_oauth_error(response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


async def test_client_credentials_with_basic_auth_issues_a_service_token(admin_client) -> None:
    created = await _register(admin_client, ["stats:read", "notes:write"])
    response = await _token(
        admin_client,
        {"grant_type": "client_credentials"},
        _basic(created["client_id"], created["client_secret"]),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["scope"] == "notes:write stats:read"
    header, claims = jwt_parts(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    assert claims["sub"] == claims["client_id"] == created["client_id"]
    assert claims["aud"] == "resource-service"
    assert "sid" not in claims and "email" not in claims


async def test_client_authentication_by_form_fields_and_a_narrower_scope(admin_client) -> None:
    created = await _register(admin_client, ["stats:read", "notes:write"])
    response = await _token(
        admin_client,
        {
            "grant_type": "client_credentials",
            "scope": "stats:read",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert response.status_code == 200
    assert jwt_parts(response.json()["access_token"])[1]["scope"] == "stats:read"


async def test_a_scope_beyond_the_clients_is_invalid_scope(admin_client) -> None:
    created = await _register(admin_client, ["stats:read"])
    response = await _token(
        admin_client,
        {"grant_type": "client_credentials", "scope": "admin"},
        _basic(created["client_id"], created["client_secret"]),
    )
    _assert_oauth_error(response, 400, "invalid_scope")


async def test_wrong_secret_and_unknown_client_are_invalid_client_401(admin_client) -> None:
    created = await _register(admin_client, ["stats:read"])
    for client_id, secret in [(created["client_id"], "wrong"), ("svc_nobody", "x")]:
        response = await _token(
            admin_client, {"grant_type": "client_credentials"}, _basic(client_id, secret)
        )
        _assert_oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic")
    _assert_oauth_error(
        await _token(admin_client, {"grant_type": "client_credentials"}), 401, "invalid_client"
    )


async def test_unsupported_grant_and_malformed_requests(admin_client) -> None:
    created = await _register(admin_client, [])
    auth = _basic(created["client_id"], created["client_secret"])
    _assert_oauth_error(
        await _token(admin_client, {"grant_type": "password"}, auth), 400, "unsupported_grant_type"
    )
    _assert_oauth_error(await _token(admin_client, {}, auth), 400, "invalid_request")
    as_json = await admin_client.post(
        TOKEN_URL,
        json={"grant_type": "client_credentials"},
        headers={"Authorization": auth["Authorization"]},
    )
    _assert_oauth_error(as_json, 400, "invalid_request")
    twice = await admin_client.post(
        TOKEN_URL,
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    _assert_oauth_error(twice, 400, "invalid_request")
    garbage = await admin_client.post(
        TOKEN_URL,
        content=b"\xff\xfe=%%%",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    _assert_oauth_error(garbage, 400, "invalid_request")
    bad_basic = await _token(
        admin_client, {"grant_type": "client_credentials"}, {"Authorization": "Basic !!!not-base64"}
    )
    _assert_oauth_error(bad_basic, 401, "invalid_client")


async def test_a_deleted_client_gets_no_more_tokens(admin_client) -> None:
    created = await _register(admin_client, ["stats:read"])
    deleted = await admin_client.delete(f"/api/auth/admin/clients/{created['client_id']}")
    assert deleted.status_code == 204
    response = await _token(
        admin_client,
        {"grant_type": "client_credentials"},
        _basic(created["client_id"], created["client_secret"]),
    )
    _assert_oauth_error(response, 401, "invalid_client")


async def test_repeated_wrong_secrets_are_rate_limited_per_address(make_client) -> None:
    async with make_client(login_max_failures_per_ip=3, **ADMIN) as client:
        login = await log_in(client, "root@example.org", "root-pass-123")
        client.headers["Authorization"] = f"Bearer {login.access_token}"
        created = await _register(client, [])
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(3):
            await _token(
                client,
                {"grant_type": "client_credentials"},
                {**_basic(created["client_id"], "wrong"), **attacker},
            )
        limited = await _token(
            client,
            {"grant_type": "client_credentials"},
            {**_basic(created["client_id"], created["client_secret"]), **attacker},
        )
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


async def test_grants_between_wrong_secrets_neither_reset_nor_use_up_the_limit(
    make_client,
) -> None:
    async with make_client(login_max_failures_per_ip=3, **ADMIN) as client:
        login = await log_in(client, "root@example.org", "root-pass-123")
        client.headers["Authorization"] = f"Bearer {login.access_token}"
        created = await _register(client, [])
        here = {"X-Forwarded-For": "203.0.113.8"}
        wrong = {**_basic(created["client_id"], "wrong"), **here}
        right = {**_basic(created["client_id"], created["client_secret"]), **here}
        form = {"grant_type": "client_credentials"}
        for _ in range(2):
            _assert_oauth_error(await _token(client, form, wrong), 401, "invalid_client")
        for _ in range(5):  # successes are not failures: they use up nothing
            assert (await _token(client, form, right)).status_code == 200
        _assert_oauth_error(await _token(client, form, wrong), 401, "invalid_client")
        # The third failure reaches the limit: the earlier two were not reset by a success.
        for headers in (right, wrong):
            limited = await _token(client, form, headers)
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        elsewhere = {**_basic(created["client_id"], created["client_secret"])}
        assert (await _token(client, form, elsewhere)).status_code == 200


async def test_wrong_secrets_from_elsewhere_do_not_lock_the_client_out(make_client) -> None:
    """The client id is in every token the client holds: anyone could lock it out."""
    async with make_client(
        login_max_failures_per_account=3, login_max_failures_per_ip=3, **ADMIN
    ) as client:
        login = await log_in(client, "root@example.org", "root-pass-123")
        client.headers["Authorization"] = f"Bearer {login.access_token}"
        created = await _register(client, [])
        for index in range(12):  # from many addresses, more than any limit
            wrong = await _token(
                client,
                {"grant_type": "client_credentials"},
                {
                    **_basic(created["client_id"], "wrong"),
                    "X-Forwarded-For": f"203.0.113.{index}",
                },
            )
            _assert_oauth_error(wrong, 401, "invalid_client")
        response = await _token(
            client,
            {"grant_type": "client_credentials"},
            {
                **_basic(created["client_id"], created["client_secret"]),
                "X-Forwarded-For": "198.51.100.20",
            },
        )
        assert response.status_code == 200, response.text


async def test_discovery_lists_the_token_endpoint_grant_and_auth_methods(client) -> None:
    doc = (await client.get("/api/auth/.well-known/openid-configuration")).json()
    assert doc["token_endpoint"].endswith("/api/auth/oauth/token")
    assert doc["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
