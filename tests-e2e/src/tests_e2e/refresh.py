"""Refreshing a session over HTTP as separate tabs would: each with its own cookie header."""

from __future__ import annotations

import httpx

CSRF = {"X-Requested-With": "fetch"}


def refresh_cookie_value(response: httpx.Response) -> str:
    values = [
        header.split(";", 1)[0].removeprefix("refresh_token=")
        for header in response.headers.get_list("set-cookie")
        if header.startswith("refresh_token=")
    ]
    assert len(values) == 1, response.headers.get_list("set-cookie")
    return values[0]


async def refresh_with(client: httpx.AsyncClient, token: str) -> httpx.Response:
    # An explicit Cookie header: the racers share no cookie jar, as fifty tabs would not.
    return await client.post(
        "/api/auth/refresh", headers={**CSRF, "Cookie": f"refresh_token={token}"}
    )
