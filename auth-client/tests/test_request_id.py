"""The request id of the request being served goes along with the calls it makes."""

from __future__ import annotations

from contextvars import ContextVar

import httpx
from auth_client import ClientCredentialsAuth
from auth_client.testing import LocalIssuer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def test_client_credentials_calls_carry_the_current_request_id(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    seen: list[str | None] = []

    async def record(request: Request) -> JSONResponse:
        seen.append(request.headers.get("x-request-id"))
        return JSONResponse({})

    request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
    client_id, secret = issuer.register_client([])
    auth = ClientCredentialsAuth(
        client_id,
        secret,
        token_endpoint=issuer.token_endpoint,
        token_client=http,
        request_id=request_id_var.get,
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
