"""Steps of the passkey ceremonies, as the browser app takes them."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from tests.helpers import Login, ensure_verified, registry, sign_up_verified
from tests.softauthenticator import SoftAuthenticator, SoftCredential


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
    await ensure_verified(client, login)
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
    login = await sign_up_verified(client, email)
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


async def legacy_passkey(
    client: httpx.AsyncClient, user_id: uuid.UUID, device: SoftAuthenticator
) -> None:
    """A passkey of the device stored for the user through the repository, as a version
    that let an unverified account enrol one did (its rows are the same)."""
    from auth_service.webauthn import repository
    from auth_service.webauthn.models import Passkey

    credential = SoftCredential(
        credential_id=secrets.token_bytes(32),
        key=ec.generate_private_key(ec.SECP256R1()),
        rp_id="localhost",
        user_handle=user_id.bytes,
    )
    device.credentials.append(credential)
    async with registry(client).sessionmaker() as db, db.begin():
        passkey = Passkey(
            user_id=user_id,
            credential_id=credential.credential_id,
            public_key=credential.cose_public_key(),
            sign_count=0,
            transports=["internal"],
            name="Laptop",
            aaguid=str(uuid.UUID(int=0)),
            backup_eligible=False,
            backed_up=False,
        )
        await repository.add(db, passkey)
