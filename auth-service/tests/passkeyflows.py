"""Steps of the passkey ceremonies, as the browser app takes them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Login, sign_up
from tests.softauthenticator import SoftAuthenticator


async def registration_options(
    client: httpx.AsyncClient, login: Login, name: str = "My laptop"
) -> dict[str, Any]:
    answer = await client.post(
        "/api/auth/webauthn/register/options", json={"name": name}, headers=login.bearer
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def enrol(
    client: httpx.AsyncClient, login: Login, device: SoftAuthenticator, name: str = "My laptop"
) -> dict[str, Any]:
    options = await registration_options(client, login, name)
    answer = await client.post(
        "/api/auth/webauthn/register",
        json={"credential": device.create(options)},
        headers=login.bearer,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def user_with_passkey(
    client: httpx.AsyncClient, email: str = "ann@example.org"
) -> tuple[Login, SoftAuthenticator]:
    login = await sign_up(client, email)
    device = SoftAuthenticator()
    await enrol(client, login, device)
    return login, device


async def login_options(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.post("/api/auth/webauthn/login/options")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def passkey_log_in(
    client: httpx.AsyncClient, device: SoftAuthenticator, **spoil: Any
) -> httpx.Response:
    assertion = device.get(await login_options(client), **spoil)
    return await client.post("/api/auth/webauthn/login", json={"credential": assertion})


async def prove_with_passkey(
    client: httpx.AsyncClient, login: Login, device: SoftAuthenticator
) -> Login:
    """/reauth with the device's newest passkey: `login` now holds the access token that
    proves it (amr ["hwk"], a fresh auth_time)."""
    assertion = device.get(await login_options(client))
    answer = await client.post(
        "/api/auth/reauth", json={"webauthn": assertion}, headers=login.bearer
    )
    assert answer.status_code == 200, answer.text
    login.access_token = answer.json()["access_token"]
    return login
