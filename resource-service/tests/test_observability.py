"""What an operator sees: metrics (with JWKS fetches and cache hits), request ids, JSON logs."""

from __future__ import annotations

import json

import httpx
import pytest
from auth_client import ClientCredentialsAuth
from auth_client.testing import LocalIssuer
from prometheus_client import CollectorRegistry
from service_kit.observability import HttpMetrics, RequestObservability
from service_kit.requestid import request_id_var
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_jwks_fetches_and_cache_hits(
    client: httpx.AsyncClient, issuer: LocalIssuer, alice: dict[str, str]
) -> None:
    for _ in range(3):
        assert (await client.get("/api/resource/me", headers=alice)).status_code == 200
    text = (await client.get("/metrics")).text
    assert _value(text, 'gatehouse_jwks_fetches_total{result="ok"}') >= 1
    # The first request verifies the token; the others hit the verified-token cache (which
    # still checks that the token's key is published).
    assert _value(text, 'gatehouse_jwks_key_lookups_total{result="hit"}') >= 1
    assert _value(text, 'gatehouse_verified_token_cache_total{result="miss"}') == 1
    assert _value(text, 'gatehouse_verified_token_cache_total{result="hit"}') == 2
    assert (
        _value(
            text,
            'gatehouse_http_requests_total{method="GET",route="/api/resource/me",status="200"}',
        )
        == 3
    )


async def test_unknown_kids_are_counted_as_misses(
    client: httpx.AsyncClient, issuer: LocalIssuer
) -> None:
    from auth_client.testing import SigningKey

    stranger = issuer.mint("user-1", headers={"kid": "made-up"}, key=SigningKey.generate())
    response = await client.get("/api/resource/me", headers={"Authorization": f"Bearer {stranger}"})
    assert response.status_code == 401
    text = (await client.get("/metrics")).text
    assert _value(text, 'gatehouse_jwks_key_lookups_total{result="miss"}') >= 1


async def test_metrics_are_not_under_the_public_prefix(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/resource/metrics")).status_code == 404


async def test_request_id_is_kept_or_made_and_stamped_on_json_logs(
    client: httpx.AsyncClient, alice: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    given = await client.get("/api/resource/me", headers={**alice, "X-Request-ID": "edge-7"})
    made = await client.get("/api/resource/healthz")
    assert given.headers["x-request-id"] == "edge-7"
    assert len(made.headers["x-request-id"]) == 32
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line.get("request_id") == "edge-7"]
    assert access and access[0]["service"] == "resource-service"
    assert access[0]["route"] == "/api/resource/me" and access[0]["status"] == 200
    token = alice["Authorization"].split()[1]
    assert all(token not in json.dumps(line) for line in lines)


async def test_forwarded_for_is_believed_from_trusted_proxies_only(
    make_client, alice: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    async with make_client(trusted_proxies="10.1.1.1/32") as untrusting:
        await untrusting.get("/api/resource/me", headers={"X-Forwarded-For": "203.0.113.9"})
    async with make_client() as trusting:
        await trusting.get("/api/resource/me", headers={"X-Forwarded-For": "203.0.113.9"})
    clients = [
        json.loads(line).get("client")
        for line in capsys.readouterr().err.splitlines()
        if '"gatehouse.access"' in line
    ]
    assert clients == ["127.0.0.1", "203.0.113.9"]


async def test_calls_made_for_a_request_carry_its_id_to_the_next_service(
    issuer: LocalIssuer,
) -> None:
    """service-kit sets the id, auth-client forwards it: wired by `request_id=`."""
    seen: list[str | None] = []

    async def downstream(request: Request) -> JSONResponse:
        seen.append(request.headers.get("x-request-id"))
        return JSONResponse({})

    auth = ClientCredentialsAuth(
        *issuer.register_client([]),
        token_endpoint=issuer.token_endpoint,
        request_id=request_id_var.get,
    )
    next_service = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Starlette(routes=[Route("/", downstream)])),
        base_url="http://next",
        auth=auth,
    )

    async def calling(request: Request) -> JSONResponse:
        await next_service.get("/")
        return JSONResponse({})

    app = RequestObservability(
        Starlette(routes=[Route("/call", calling)]),
        metrics=HttpMetrics(CollectorRegistry()),
        access_log=False,
    )
    async with (
        next_service,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as svc,
    ):
        await svc.get("/call", headers={"X-Request-ID": "edge-8"})
        made = await svc.get("/call")
    assert seen == ["edge-8", made.headers["x-request-id"]]
