"""Request ids, client addresses and JSON log lines of `auth_client.observability`."""

from __future__ import annotations

import ipaddress
import json
import logging

import httpx
from auth_client import ClientCredentialsAuth
from auth_client.observability import JsonFormatter, forwarded_client_ip, request_id_var
from auth_client.testing import LocalIssuer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32")]


def _scope(peer: str, forwarded: str | None = None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 1234), "headers": headers}


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    assert forwarded_client_ip(_scope("127.0.0.1", "203.0.113.9"), LOOPBACK) == "203.0.113.9"
    assert forwarded_client_ip(_scope("198.51.100.1", "203.0.113.9"), LOOPBACK) == "198.51.100.1"
    # A client prepending its own fake hop does not move the address the proxy appended.
    spoofed = _scope("127.0.0.1", "1.2.3.4, 203.0.113.9")
    assert forwarded_client_ip(spoofed, LOOPBACK) == "203.0.113.9"
    assert forwarded_client_ip(_scope("127.0.0.1", "not-an-ip"), LOOPBACK) == "not-an-ip"
    assert forwarded_client_ip(_scope("127.0.0.1"), LOOPBACK) == "127.0.0.1"


def test_log_lines_are_json_with_the_request_id_and_extras() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.route = "/x"
    token = request_id_var.set("req-1")
    try:
        line = json.loads(JsonFormatter("svc-name").format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello you" and line["request_id"] == "req-1"
    assert line["service"] == "svc-name" and line["route"] == "/x" and line["level"] == "info"


async def test_client_credentials_calls_carry_the_current_request_id(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    seen: list[str | None] = []

    async def record(request: Request) -> JSONResponse:
        seen.append(request.headers.get("x-request-id"))
        return JSONResponse({})

    client_id, secret = issuer.register_client([])
    auth = ClientCredentialsAuth(
        client_id, secret, token_endpoint=issuer.token_endpoint, token_client=http
    )
    transport = httpx.ASGITransport(app=Starlette(routes=[Route("/", record)]))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc", auth=auth) as client:
        token = request_id_var.set("trace-9")
        try:
            await client.get("/")
        finally:
            request_id_var.reset(token)
        await client.get("/")
    assert seen == ["trace-9", None]
