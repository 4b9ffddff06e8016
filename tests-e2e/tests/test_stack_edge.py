"""The gateway in front of the real services: pages, routes, headers, limits, client IPs."""

from __future__ import annotations

import uuid

import httpx
import pytest
from tests_e2e.stacks import RunningStack

# Each test runs on one replica of each service, then on two of each (conftest).
pytestmark = pytest.mark.contract

TWO_MIB = 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("path", "marker"), [("/", "Dashboard"), ("/login", "Log in"), ("/signup", "Sign up")]
)
def test_the_web_app_pages_are_served(client: httpx.Client, path: str, marker: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert marker in page.text


def test_the_app_scripts_are_served_as_javascript(client: httpx.Client) -> None:
    script = client.get("/js/lib/session.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_an_unknown_page_is_not_found(client: httpx.Client) -> None:
    assert client.get("/no-such-page").status_code == 404


@pytest.mark.parametrize("path", ["/", "/login", "/api/auth/healthz", "/api/resource/healthz"])
def test_pages_and_api_answers_carry_the_security_headers(client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in headers  # plain HTTP here


@pytest.mark.parametrize("service", ["auth", "resource"])
def test_each_service_publishes_its_api_docs_under_its_prefix(
    client: httpx.Client, service: str
) -> None:
    docs = client.get(f"/api/{service}/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    spec = client.get(f"/api/{service}/openapi.json")
    assert spec.status_code == 200
    assert any(path.startswith(f"/api/{service}/") for path in spec.json()["paths"])


@pytest.mark.parametrize("path", ["/metrics", "/api/auth/metrics", "/api/resource/metrics"])
def test_metrics_are_not_reachable_through_the_gateway(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "# TYPE" not in response.text


def test_an_oversized_request_body_is_refused_before_any_service(client: httpx.Client) -> None:
    response = client.post(
        "/api/auth/login",
        content=b"{" + b" " * TWO_MIB,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_a_forged_forwarded_for_does_not_escape_the_per_ip_login_limit(
    stack_factory: object,
) -> None:
    """Failed logins from one address, each claiming another X-Forwarded-For and using
    another email (so no per-account limit applies): if the services believed the header,
    every attempt would come from a fresh address and never be limited."""
    limit = 3
    running: RunningStack = stack_factory(  # type: ignore[operator]
        {"AUTH_LOGIN_MAX_FAILURES_PER_IP": str(limit)}, name="ip-limit"
    )
    statuses = []
    with running.client() as http:
        for attempt in range(limit + 2):
            response = http.post(
                "/api/auth/login",
                json={
                    "email": f"nobody-{uuid.uuid4().hex[:8]}@gatehouse.example",
                    "password": "wrong password, clearly",
                },
                headers={"X-Forwarded-For": f"198.51.100.{attempt + 1}"},
            )
            statuses.append(response.status_code)
    assert statuses[:limit] == [401] * limit
    assert statuses[-1] == 429, statuses
