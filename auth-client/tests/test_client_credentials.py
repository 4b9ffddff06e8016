"""Calling a protected service with a client-credentials token."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from auth_client import (
    AuthError,
    ClientCredentialsAuth,
    JWKSCache,
    TokenEndpointError,
    TokenVerifier,
)
from auth_client.client_credentials import basic_client_auth
from auth_client.testing import LocalIssuer, ManualClock
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class ProtectedService:
    """A service that verifies bearer tokens, can be told to refuse some, and records calls."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier
        self.tokens_seen: list[str] = []
        self.refused: set[str] = set()
        self.refuse_all = False
        self.app = Starlette(routes=[Route("/data", self.data, methods=["GET", "POST"])])

    async def data(self, request: Request) -> JSONResponse:
        body = (await request.body()).decode()  # read first, as a server may before refusing
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.tokens_seen.append(token)
        if self.refuse_all or token in self.refused:
            return JSONResponse({"error": "revoked"}, status_code=401)
        try:
            principal = await self.verifier.verify(token)
        except AuthError as exc:
            return JSONResponse({"error": exc.code}, status_code=exc.status_code)
        return JSONResponse({"sub": principal.sub, "scope": principal.scope, "body": body})


@pytest.fixture
def service(issuer: LocalIssuer, http: httpx.AsyncClient) -> ProtectedService:
    keys = JWKSCache(http, jwks_url=issuer.jwks_url)
    return ProtectedService(TokenVerifier(keys, issuer=issuer.issuer, audience=issuer.audience))


@pytest.fixture
def credentials(issuer: LocalIssuer) -> tuple[str, str]:
    return issuer.register_client(["stats:read", "notes:read"])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(500.0)


@pytest.fixture
def auth(
    issuer: LocalIssuer,
    credentials: tuple[str, str],
    http: httpx.AsyncClient,
    clock: ManualClock,
) -> ClientCredentialsAuth:
    client_id, secret = credentials
    return ClientCredentialsAuth(
        client_id, secret, token_endpoint=issuer.token_endpoint, token_client=http, clock=clock
    )


@pytest.fixture
async def caller(
    service: ProtectedService, auth: ClientCredentialsAuth
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc", auth=auth) as client:
        yield client


async def test_fifty_concurrent_calls_share_one_token_fetch(
    issuer: LocalIssuer, service: ProtectedService, caller: httpx.AsyncClient
) -> None:
    responses = await asyncio.gather(*(caller.get("/data") for _ in range(50)))

    assert [r.status_code for r in responses] == [200] * 50
    assert issuer.token_requests == 1
    assert len(set(service.tokens_seen)) == 1


async def test_the_service_sees_the_client_as_the_subject_with_its_scopes(
    credentials: tuple[str, str], caller: httpx.AsyncClient
) -> None:
    response = await caller.get("/data")

    assert response.json()["sub"] == credentials[0]
    assert response.json()["scope"] == "notes:read stats:read"


async def test_the_token_is_renewed_shortly_before_it_expires(
    issuer: LocalIssuer, service: ProtectedService, caller: httpx.AsyncClient, clock: ManualClock
) -> None:
    issuer.token_ttl = 300  # renewed 30 s early
    await caller.get("/data")

    clock.advance(269)
    await caller.get("/data")
    assert issuer.token_requests == 1

    clock.advance(2)
    await caller.get("/data")
    assert issuer.token_requests == 2
    assert len(set(service.tokens_seen)) == 2


async def test_a_short_lived_token_is_renewed_at_half_its_life(
    issuer: LocalIssuer, caller: httpx.AsyncClient, clock: ManualClock
) -> None:
    issuer.token_ttl = 20
    await caller.get("/data")

    clock.advance(9)
    await caller.get("/data")
    clock.advance(1)
    await caller.get("/data")

    assert issuer.token_requests == 2


async def test_a_refused_token_is_replaced_once_and_the_call_retried_with_its_body(
    issuer: LocalIssuer, service: ProtectedService, caller: httpx.AsyncClient
) -> None:
    await caller.get("/data")
    service.refused.add(service.tokens_seen[0])

    async def streamed() -> AsyncIterator[bytes]:
        yield b"pay"
        yield b"load"

    response = await caller.post("/data", content=streamed())

    assert response.status_code == 200
    assert response.json()["body"] == "payload"
    assert issuer.token_requests == 2


async def test_a_service_that_keeps_refusing_gets_exactly_one_retry(
    issuer: LocalIssuer, service: ProtectedService, caller: httpx.AsyncClient
) -> None:
    service.refuse_all = True

    response = await caller.get("/data")

    assert response.status_code == 401
    assert len(service.tokens_seen) == 2
    assert issuer.token_requests == 2


async def test_the_token_endpoint_is_found_through_discovery(
    issuer: LocalIssuer,
    service: ProtectedService,
    credentials: tuple[str, str],
    http: httpx.AsyncClient,
) -> None:
    auth = ClientCredentialsAuth(*credentials, issuer=issuer.issuer, scope=["stats:read"])
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc", auth=auth) as client:
        response = await client.get("/data")

    assert response.json()["scope"] == "stats:read"
    assert issuer.discovery_fetches == 1


async def test_a_wrong_secret_raises_the_token_endpoints_error(
    issuer: LocalIssuer, service: ProtectedService, credentials: tuple[str, str]
) -> None:
    auth = ClientCredentialsAuth(credentials[0], "wrong", token_endpoint=issuer.token_endpoint)
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc", auth=auth) as client:
        with pytest.raises(TokenEndpointError, match="401 invalid_client") as caught:
            await client.get("/data")

    assert caught.value.error == "invalid_client"
    assert service.tokens_seen == []


async def test_asking_for_a_scope_the_client_does_not_have_is_refused(
    issuer: LocalIssuer, credentials: tuple[str, str], http: httpx.AsyncClient
) -> None:
    auth = ClientCredentialsAuth(
        *credentials, token_endpoint=issuer.token_endpoint, scope="admin", token_client=http
    )
    with pytest.raises(TokenEndpointError, match="invalid_scope"):
        await auth.access_token()


def test_client_credentials_are_form_encoded_before_basic_encoding() -> None:
    header = basic_client_auth("svc:1", "s3cret +/")

    assert header.startswith("Basic ")
    assert base64.b64decode(header.removeprefix("Basic ")) == b"svc%3A1:s3cret+%2B%2F"


def test_a_sync_client_is_told_to_use_the_async_one(issuer: LocalIssuer) -> None:
    auth = ClientCredentialsAuth("id", "secret", token_endpoint=issuer.token_endpoint)
    with httpx.Client(auth=auth) as client, pytest.raises(TypeError, match="AsyncClient"):
        client.get(issuer.jwks_url)


def test_the_auth_needs_somewhere_to_get_tokens() -> None:
    with pytest.raises(ValueError, match="token_endpoint or an issuer"):
        ClientCredentialsAuth("id", "secret")
