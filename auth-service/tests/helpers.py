"""Small helpers that talk to the auth service the way a browser would."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import redis.asyncio as aioredis
from auth_service.registry import Registry

PASSWORD = "lantern-quarry-47"


class FakeClock:
    """The service's clock in tests: the wall clock plus however far a test moved it.

    It runs on with the wall clock, so what is stamped by the database or a model default
    (real time) never lies ahead of it; `advance` lets a test pass an expiry, a grace
    window or a key activation at once instead of sleeping through it.
    """

    def __init__(self) -> None:
        self._ahead = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead

    def advance(self, seconds: float) -> None:
        self._ahead += timedelta(seconds=seconds)


def registry(client: httpx.AsyncClient) -> Registry:
    """The registry the app under test built (its lifespan's state)."""
    built: Registry = client.lifespan_state["registry"]  # type: ignore[attr-defined]
    return built


@dataclass
class Login:
    access_token: str
    refresh_token: str
    response: httpx.Response

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def refresh_cookie_of(response: httpx.Response) -> str:
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if "refresh_token" in cookie:
            return cookie["refresh_token"].value
    raise AssertionError(f"no refresh cookie in {response.headers.get_list('set-cookie')}")


def _login(response: httpx.Response, status: int = 200) -> Login:
    """The session a response opened: 201 for a sign-up, 200 for any log-in."""
    assert response.status_code == status, response.text
    return Login(response.json()["access_token"], refresh_cookie_of(response), response)


async def sign_up(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Login:
    response = await client.post("/api/auth/signup", json={"email": email, "password": password})
    return _login(response, 201)


async def log_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **headers: str
) -> Login:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )
    return _login(response)


async def refresh(client: httpx.AsyncClient, token: str | None, **headers: str) -> httpx.Response:
    all_headers = {"X-Requested-With": "fetch", **headers}
    if token is not None:
        all_headers["Cookie"] = f"refresh_token={token}"
    return await client.post("/api/auth/refresh", headers=all_headers)


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def decode(part: str) -> dict[str, Any]:
        return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))

    header, claims, _ = token.split(".")
    return decode(header), decode(claims)


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


async def ensure_verified(client: httpx.AsyncClient, login: Login) -> None:
    """The account's email verified as its owner would do it (a passkey or an authenticator
    app needs it): a verification link, made as the mail would carry it, followed. Nothing
    when it is verified already."""
    from auth_service.account import links
    from auth_service.users import repository as users

    claims = jwt_parts(login.access_token)[1]
    user_id = uuid.UUID(claims["sub"])
    async with registry(client).sessionmaker() as db, db.begin():
        user = await users.get(db, user_id)
        assert user is not None
        if user.email_verified:
            return
        now = registry(client).clock.now()
        token = await links.issue(db, user_id, links.Purpose.VERIFY_EMAIL, user.email, now)
    verified = await client.post("/api/auth/email/verify", json={"token": token})
    assert verified.status_code == 204, verified.text


async def sign_up_verified(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> Login:
    login = await sign_up(client, email, password)
    await ensure_verified(client, login)
    return login


async def end_mail_cooldowns(redis_url: str) -> None:
    """What the mail cooldown's seconds would do: every email may be mailed again."""
    redis = aioredis.Redis.from_url(redis_url)
    try:
        async for key in redis.scan_iter("gh:cd:*"):
            await redis.delete(key)
    finally:
        await redis.aclose()
