"""The resource service against the REAL auth service (its app under uvicorn on loopback).

Tokens come from signing up, logging in and the client-credentials grant at the auth
service; the resource service finds the keys through the auth service's discovery document.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from auth_client import ClientCredentialsAuth
from auth_client.testing import ServerThread
from auth_service.app import create_app as create_auth_app
from auth_service.config import Settings as AuthSettings
from auth_service.migrations import upgrade as upgrade_auth_schema
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer
from helpers import bearer, create_note
from service_kit.testhelpers import AppClient
from starlette.types import ASGIApp, Receive, Scope, Send

PASSWORD = "lantern-quarry-47"
ADMIN_EMAIL = "root@example.com"
JWKS_PATH = "/api/auth/.well-known/jwks.json"


class RequestCounter:
    """Wraps an ASGI app and counts the requests to each path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)


class AuthService:
    """The auth service, served on a loopback port; `issuer` is what its tokens say."""

    def __init__(self, settings_for: Callable[[str], AuthSettings]) -> None:
        self.server = ServerThread(lifespan="on")
        self.issuer = f"{self.server.url}/api/auth"
        self.requests = RequestCounter(create_auth_app(settings_for(self.issuer)))
        self.server.start(self.requests)

    @property
    def jwks_fetches(self) -> int:
        return self.requests.paths[JWKS_PATH]

    def stop(self) -> None:
        self.server.stop()

    async def sign_up(self, email: str | None = None) -> str:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        return await self._token("signup", email)

    async def log_in(self, email: str) -> str:
        return await self._token("login", email)

    async def _token(self, action: str, email: str) -> str:
        async with httpx.AsyncClient(base_url=self.server.url) as client:
            response = await client.post(
                f"/api/auth/{action}", json={"email": email, "password": PASSWORD}
            )
        assert response.status_code in (200, 201), response.text
        token: str = response.json()["access_token"]
        return token

    async def register_client(self, admin_token: str, scopes: list[str]) -> tuple[str, str]:
        async with httpx.AsyncClient(base_url=self.server.url) as client:
            response = await client.post(
                "/api/auth/admin/clients",
                json={"name": "reporting", "scopes": scopes},
                headers=bearer(admin_token),
            )
        assert response.status_code == 201, response.text
        return response.json()["client_id"], response.json()["client_secret"]


@pytest.fixture(scope="module")
def auth_settings_for(
    postgres_server: Postgres, redis_server: RedisServer
) -> Callable[[str], AuthSettings]:
    postgres_server.create_database("auth_for_resource_test")
    database_url = str(postgres_server.url("auth_for_resource_test"))
    upgrade_auth_schema(database_url)

    def settings_for(issuer: str) -> AuthSettings:
        return AuthSettings(
            database_url=database_url,
            database_pool_size=3,
            redis_url=redis_server.url(db=1),
            issuer=issuer,
            dev_mode=True,  # the built-in key-encryption key, as `make run` uses
            cookie_secure=False,
            bootstrap_admin_email=ADMIN_EMAIL,
            bootstrap_admin_password=PASSWORD,
        )

    return settings_for


@pytest.fixture(scope="module")
def auth_service(auth_settings_for: Callable[[str], AuthSettings]) -> Iterator[AuthService]:
    service = AuthService(auth_settings_for)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def with_real_issuer(make_client: AppClient, auth_service: AuthService) -> AppClient:
    """The resource service configured like the stack does: issuer URL, keys via discovery."""

    def start(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return make_client(issuer=auth_service.issuer, **overrides)

    return start


def with_kid(token: str, kid: str) -> str:
    header, rest = token.split(".", 1)
    fields = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    fields["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{encoded}.{rest}"


async def test_a_user_who_signed_up_is_known_by_their_verified_token(
    auth_service: AuthService, with_real_issuer: AppClient
) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    token = await auth_service.sign_up(email)

    async with with_real_issuer() as client:
        response = await client.get("/api/resource/me", headers=bearer(token))

    assert response.status_code == 200
    me = response.json()
    assert me["email"] == email
    assert uuid.UUID(me["sub"]) and uuid.UUID(me["sid"])
    assert "openid" in me["scope"].split()
    assert me["client_id"]


async def test_users_cannot_read_change_or_delete_each_others_notes(
    auth_service: AuthService, with_real_issuer: AppClient
) -> None:
    alice = bearer(await auth_service.sign_up())
    bob = bearer(await auth_service.sign_up())

    async with with_real_issuer() as client:
        note = await create_note(client, alice, "Alice's plan", "private")
        url = f"/api/resource/notes/{note['id']}"
        by_bob = [
            await client.get(url, headers=bob),
            await client.patch(url, json={"body": "hijacked"}, headers=bob),
            await client.delete(url, headers=bob),
        ]
        bobs_list = (await client.get("/api/resource/notes", headers=bob)).json()
        alices_note = (await client.get(url, headers=alice)).json()

    assert [response.status_code for response in by_bob] == [404, 404, 404]
    assert bobs_list == []
    assert alices_note["body"] == "private"


async def test_a_service_client_reads_stats_with_its_own_token_and_a_plain_user_cannot(
    auth_service: AuthService, with_real_issuer: AppClient
) -> None:
    admin_token = await auth_service.log_in(ADMIN_EMAIL)
    client_id, secret = await auth_service.register_client(admin_token, ["stats:read"])
    user_token = await auth_service.sign_up()
    # The token endpoint comes from the discovery document, as any service would find it.
    service_auth = ClientCredentialsAuth(client_id, secret, issuer=auth_service.issuer)

    async with with_real_issuer() as client:
        await create_note(client, bearer(user_token))
        as_service = await client.get("/api/resource/admin/stats", auth=service_auth)
        as_admin = await client.get("/api/resource/admin/stats", headers=bearer(admin_token))
        as_user = await client.get("/api/resource/admin/stats", headers=bearer(user_token))
        service_me = await client.get("/api/resource/me", auth=service_auth)

    assert as_service.status_code == 200
    assert as_service.json() == {"note_count": 1, "owner_count": 1}
    assert as_admin.status_code == 200
    assert as_user.status_code == 403
    assert 'error="insufficient_scope"' in as_user.headers["www-authenticate"]
    assert (service_me.json()["sub"], service_me.json()["sid"]) == (client_id, None)


async def test_a_flood_of_unknown_kids_fetches_the_jwks_at_most_once_per_interval(
    auth_service: AuthService, with_real_issuer: AppClient
) -> None:
    token = await auth_service.sign_up()
    forged = [with_kid(token, uuid.uuid4().hex) for _ in range(200)]

    async with with_real_issuer() as client:
        assert (await client.get("/api/resource/me", headers=bearer(token))).status_code == 200
        fetches_before = auth_service.jwks_fetches
        responses = await asyncio.gather(
            *(client.get("/api/resource/me", headers=bearer(t)) for t in forged)
        )

    assert {response.status_code for response in responses} == {401}
    assert auth_service.jwks_fetches - fetches_before <= 1


async def test_with_the_auth_service_down_tokens_still_verify_with_the_cached_keys(
    auth_settings_for: Callable[[str], AuthSettings],
    make_client: AppClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="auth_client")
    auth_service = AuthService(auth_settings_for)
    refetch_interval = 0.3
    try:
        token = await auth_service.sign_up()
        async with make_client(
            issuer=auth_service.issuer, jwks_refetch_interval=refetch_interval
        ) as client:
            assert (await client.get("/api/resource/me", headers=bearer(token))).status_code == 200

            auth_service.stop()
            await asyncio.sleep(refetch_interval * 1.5)  # a refetch is allowed again
            unknown = await client.get("/api/resource/me", headers=bearer(with_kid(token, "new")))
            me = await client.get("/api/resource/me", headers=bearer(token))
            created = await client.post(
                "/api/resource/notes", json={"title": "offline"}, headers=bearer(token)
            )
    finally:
        auth_service.stop()

    assert unknown.status_code == 401  # the refetch it caused failed, and was only logged
    assert "could not fetch the JWKS (ConnectError" in caplog.text
    assert me.status_code == 200
    assert created.status_code == 201


async def test_rotating_keys_while_requests_flow_causes_no_401(
    auth_settings_for: Callable[[str], AuthSettings], make_client: AppClient
) -> None:
    """Keys rotate twice (through the CLI, as an operator would) under steady traffic."""

    def settings_for(issuer: str) -> AuthSettings:
        return auth_settings_for(issuer).model_copy(update={"key_reload_interval": 0.2})

    auth_service = AuthService(settings_for)
    statuses: list[int] = []
    kids: set[str] = set()
    try:
        email = f"rotation-{uuid.uuid4().hex[:8]}@example.com"
        await auth_service.sign_up(email)
        settings = settings_for(auth_service.issuer)
        cli_env = {
            **os.environ,
            "AUTH_DATABASE_URL": settings.database_url,
            "AUTH_REDIS_URL": settings.redis_url,
            "AUTH_ISSUER": auth_service.issuer,
            "AUTH_DEV_MODE": "true",
        }

        def rotate() -> None:
            subprocess.run(
                [sys.executable, "-m", "auth_service", "keys", "rotate", "--activate-in", "1.0"],
                env=cli_env,
                check=True,
                capture_output=True,
                timeout=120,
            )

        async with make_client(issuer=auth_service.issuer, jwks_refetch_interval=0.2) as client:
            stop = asyncio.Event()

            async def traffic() -> None:
                while not stop.is_set():
                    token = await auth_service.log_in(email)
                    kids.add(
                        json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==").decode())[
                            "kid"
                        ]
                    )
                    for _ in range(5):
                        response = await client.get("/api/resource/me", headers=bearer(token))
                        statuses.append(response.status_code)

            runner = asyncio.create_task(traffic())
            for _ in range(2):
                await asyncio.to_thread(rotate)
                await asyncio.sleep(1.5)  # the new key signs; traffic carries its tokens
            stop.set()
            await runner
    finally:
        auth_service.stop()

    assert len(kids) >= 3, kids  # the first key and two rotated-in keys all signed tokens
    assert len(statuses) > 20
    assert set(statuses) == {200}
