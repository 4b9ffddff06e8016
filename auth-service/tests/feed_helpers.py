"""A service client that reads the revocation feed, and an administrator, for feed tests."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx

from tests.helpers import log_in

ADMIN = {"bootstrap_admin_email": "root@example.org", "bootstrap_admin_password": "root-pass-123"}
FEED = "/api/auth/revocations"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def admin_bearer(client: httpx.AsyncClient) -> dict[str, str]:
    login = await log_in(client, ADMIN["bootstrap_admin_email"], ADMIN["bootstrap_admin_password"])
    return login.bearer


async def register(client: httpx.AsyncClient, admin: dict[str, str], scopes: list[str]) -> dict:
    answer = await client.post(
        "/api/auth/admin/clients", json={"name": "svc", "scopes": scopes}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def service_token(client: httpx.AsyncClient, registered: dict) -> str:
    answer = await client.post(
        "/api/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(registered["client_id"], registered["client_secret"]),
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@dataclass
class FeedReader:
    client: httpx.AsyncClient
    token: str

    async def get(self, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.client.get(FEED, params=params, headers=headers)

    async def snapshot(self) -> dict:
        answer = await self.get()
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def after(self, cursor: int, wait: float = 0) -> dict:
        answer = await self.get(after=cursor, wait=wait)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


async def feed_reader(client: httpx.AsyncClient) -> FeedReader:
    registered = await register(client, await admin_bearer(client), ["revocations:read"])
    return FeedReader(client, await service_token(client, registered))


def kinds(page: dict) -> set[tuple[str, str]]:
    return {(entry["kind"], entry["value"]) for entry in page["entries"]}
