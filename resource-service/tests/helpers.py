"""Small helpers shared by the tests."""

from __future__ import annotations

from typing import Any

import httpx


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_note(
    client: httpx.AsyncClient, headers: dict[str, str], title: str = "Groceries", body: str = "eggs"
) -> dict[str, Any]:
    response = await client.post(
        "/api/resource/notes", json={"title": title, "body": body}, headers=headers
    )
    assert response.status_code == 201, response.text
    note: dict[str, Any] = response.json()
    return note
