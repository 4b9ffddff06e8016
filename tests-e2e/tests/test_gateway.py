"""The gateway's own behaviour, with echo servers standing in for the services: the same
rendered Traefik configuration that `make run` uses, so a routing or header rule that
breaks shows up here with the request the backend actually received."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from devstack.ports import http_status
from devstack.processes import LogSink, ManagedProcess, group_alive
from devstack.settings import StackSettings, find_root
from tests_e2e.echo import echo_servers
from tests_e2e.waiting import wait_until

from devstack import gateway

ONE_MIB = 1024 * 1024


class Gateway:
    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.base_url = settings.public_url
        self.client = httpx.Client(base_url=self.base_url, timeout=10)

    def echo(self, path: str, **kwargs: Any) -> tuple[httpx.Response, dict[str, Any]]:
        response = self.client.request(kwargs.pop("method", "GET"), path, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response, response.json()


def received_headers(echoed: dict[str, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in echoed["headers"]}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data = tmp_path_factory.mktemp("gateway")
    settings = StackSettings.on_free_ports(find_root(Path(__file__)), data)
    backends = {
        "auth": settings.auth_port,
        "resource": settings.resource_port,
        "web": settings.web_port,
    }
    with echo_servers(backends), open(data / "traefik.log", "w") as log:
        # A low rate limit (the default is far above what one test client here can send).
        env = {**os.environ, "GATEHOUSE_API_RATE_AVERAGE": "5", "GATEHOUSE_API_RATE_BURST": "20"}
        traefik = ManagedProcess("gateway", gateway.traefik_command(settings), env=env)
        traefik.start(LogSink(stream=log))
        try:
            wait_until(
                lambda: http_status(f"http://127.0.0.1:{settings.gateway_port}/api/auth/x") == 200,
                what=f"the gateway to route (log: {data / 'traefik.log'})",
            )
            gw = Gateway(settings)
            yield gw
            gw.client.close()
        finally:
            traefik.stop()
        assert traefik.pid is not None and not group_alive(traefik.pid)


@pytest.mark.parametrize(
    ("path", "backend"),
    [
        ("/api/auth/login?next=%2F", "auth"),
        ("/api/auth/.well-known/jwks.json", "auth"),
        ("/api/resource/notes/42", "resource"),
        ("/", "web"),
        ("/login", "web"),
        ("/js/app.js", "web"),
        ("/api", "web"),
    ],
)
def test_each_path_reaches_its_service_with_the_prefix_kept(
    gw: Gateway, path: str, backend: str
) -> None:
    _, echoed = gw.echo(path)
    assert echoed["backend"] == backend
    assert echoed["path"] == path


@pytest.mark.parametrize("path", ["/", "/login", "/api/auth/me", "/api/resource/me"])
def test_every_response_carries_the_security_headers(gw: Gateway, path: str) -> None:
    response, _ = gw.echo(path)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    # Plain HTTP: no HSTS (Traefik adds it only to requests that came over TLS).
    assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize(
    "path", ["/api/auth/docs", "/api/resource/docs", "/api/auth/docs/static/swagger-init.js"]
)
def test_api_docs_get_the_same_strict_policy_as_every_page(gw: Gateway, path: str) -> None:
    response, echoed = gw.echo(path)
    assert echoed["backend"] == path.split("/")[2]
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe-inline" not in csp and "https:" not in csp
    assert response.headers["x-frame-options"] == "DENY"


def test_forwarded_headers_from_the_client_are_replaced(gw: Gateway) -> None:
    _, echoed = gw.echo(
        "/api/auth/login",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Real-Ip": "203.0.113.9",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
        },
    )
    headers = received_headers(echoed)
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-host"] == f"localhost:{gw.settings.gateway_port}"
    assert headers["x-forwarded-proto"] == "http"


def test_header_names_that_alias_forwarded_headers_are_dropped(gw: Gateway) -> None:
    _, echoed = gw.echo("/api/auth/login", headers={"X_Forwarded_For": "203.0.113.9"})
    assert "x_forwarded_for" not in received_headers(echoed)


@pytest.mark.parametrize("path", ["/api/auth%2F..%2Fmetrics", "/api/resource/notes%3Bx", "/a%00b"])
def test_ambiguous_encoded_characters_in_paths_are_refused(gw: Gateway, path: str) -> None:
    assert gw.client.get(path).status_code == 400


def test_a_request_body_over_one_mebibyte_is_refused(gw: Gateway) -> None:
    _, echoed = gw.echo("/api/resource/notes", method="POST", content=b"x" * 1000)
    assert echoed["body_bytes"] == 1000
    refused = gw.client.post("/api/resource/notes", content=b"x" * (ONE_MIB + 1))
    assert refused.status_code == 413


@pytest.mark.parametrize("path", ["/metrics", "/api/auth/metrics", "/api/resource/metrics"])
def test_metrics_paths_never_reach_a_service(gw: Gateway, path: str) -> None:
    _, echoed = gw.echo(path)
    assert echoed["backend"] == "web"  # the static server, which has no such file


def test_ping_answers_on_its_own_port_only(gw: Gateway) -> None:
    assert http_status(gateway.ping_url(gw.settings)) == 200
    _, echoed = gw.echo("/ping")
    assert echoed["backend"] == "web"


async def test_a_flood_of_api_requests_from_one_address_is_rate_limited(gw: Gateway) -> None:
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=gw.base_url, limits=limits, timeout=30) as client:
        api = await asyncio.gather(*(client.get("/api/resource/x") for _ in range(100)))
        pages = await asyncio.gather(*(client.get("/css/app.css") for _ in range(100)))
    assert any(r.status_code == 429 for r in api)
    assert all(r.status_code == 200 for r in pages)  # static files are not limited
