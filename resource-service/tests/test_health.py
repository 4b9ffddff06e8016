"""Liveness, readiness, and what happens when the database is away."""

from __future__ import annotations

import httpx
import pytest
from auth_client.testing import LocalIssuer
from devstack.ports import free_port
from helpers import bearer
from resource_service.config import Settings
from service_kit.testhelpers import AppClient


async def test_the_service_is_alive_and_ready(client: httpx.AsyncClient) -> None:
    live = await client.get("/api/resource/healthz")
    ready = await client.get("/api/resource/readyz")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok", "keys": "ok"})


async def test_it_is_not_ready_until_the_issuers_keys_have_been_fetched(
    make_client: AppClient, issuer: LocalIssuer
) -> None:
    issuer.available = False  # the auth service is not up yet
    try:
        async with make_client() as client:
            waiting = await client.get("/api/resource/readyz")
            issuer.available = True
            ready = await client.get("/api/resource/readyz")
            me = await client.get("/api/resource/me", headers=bearer(issuer.mint_user()))
    finally:
        issuer.available = True

    assert waiting.status_code == 503
    assert waiting.json()["checks"] == {"database": "ok", "keys": "unavailable"}
    assert ready.status_code == 200
    assert me.status_code == 200


async def test_without_its_database_it_is_alive_but_not_ready_and_says_503_not_500(
    make_client: AppClient, issuer: LocalIssuer
) -> None:
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/resource"
    async with make_client(database_url=nowhere) as client:
        live = await client.get("/api/resource/healthz")
        ready = await client.get("/api/resource/readyz")
        notes = await client.get("/api/resource/notes", headers=bearer(issuer.mint_user()))

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["code"] == "not_ready"
    assert notes.status_code == 503
    assert notes.json()["code"] == "unavailable"
    assert notes.headers["retry-after"] == "1"


def test_settings_come_from_resource_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESOURCE_ISSUER", "https://id.example.com/api/auth/")
    monkeypatch.setenv("RESOURCE_JWKS_URL", "http://auth:8000/api/auth/.well-known/jwks.json")
    monkeypatch.setenv("RESOURCE_AUDIENCE", "notes-api")

    settings = Settings()

    assert settings.issuer == "https://id.example.com/api/auth"
    assert settings.jwks_url == "http://auth:8000/api/auth/.well-known/jwks.json"
    assert settings.audience == "notes-api"
    assert settings.max_body_bytes == 64 * 1024
