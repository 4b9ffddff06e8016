"""The local mail catcher: a real SMTP server whose messages are kept on disk and read
back through Mailpit's API, so tests written for Mailpit work against both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from asgi_lifespan import LifespanManager
from devstack.mailcatcher import create_app
from devstack.ports import free_port

Catcher = Callable[[], Awaitable[None]]


@asynccontextmanager
async def running(folder: Path, smtp_port: int) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(folder, smtp_port)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mail") as client:
            yield client


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
async def inbox(tmp_path: Path, smtp_port: int) -> AsyncIterator[httpx.AsyncClient]:
    async with running(tmp_path / "mail", smtp_port) as client:
        yield client


async def send(
    port: int, to: str, subject: str, text: str, html: str | None = None, sender: str = ""
) -> None:
    message = EmailMessage()
    message["From"] = sender or "Gatehouse <no-reply@gatehouse.example>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    await aiosmtplib.send(message, hostname="127.0.0.1", port=port)


async def test_a_message_sent_over_smtp_is_listed_and_read_in_mailpits_shape(
    inbox: httpx.AsyncClient, smtp_port: int
) -> None:
    link = "http://localhost:8080/reset-password#token=abc123"
    await send(
        smtp_port,
        "Ann <ann@example.org>",
        "Reset your password",
        f"Open {link} within 30 minutes.",
        f'<p><a href="{link}">Reset</a></p>',
    )

    listing = (await inbox.get("/api/v1/messages")).json()
    assert listing["total"] == 1 and listing["messages_count"] == 1
    (first,) = listing["messages"]
    assert first["Subject"] == "Reset your password"
    assert first["To"] == [{"Name": "Ann", "Address": "ann@example.org"}]
    assert first["From"] == {"Name": "Gatehouse", "Address": "no-reply@gatehouse.example"}
    assert link in first["Snippet"]

    message = (await inbox.get(f"/api/v1/message/{first['ID']}")).json()
    assert link in message["Text"]
    assert f'href="{link}"' in message["HTML"]
    assert message["Subject"] == "Reset your password"
    latest = (await inbox.get("/api/v1/message/latest")).json()
    assert latest["ID"] == first["ID"]


async def test_newest_first_and_search_by_recipient(
    inbox: httpx.AsyncClient, smtp_port: int
) -> None:
    for n, to in enumerate(["a@example.org", "b@example.org", "a@example.org"]):
        await send(smtp_port, to, f"message {n}", f"body {n}")

    subjects = [m["Subject"] for m in (await inbox.get("/api/v1/messages")).json()["messages"]]
    assert subjects == ["message 2", "message 1", "message 0"]
    found = (await inbox.get("/api/v1/search", params={"query": "to:a@example.org"})).json()
    assert [m["Subject"] for m in found["messages"]] == ["message 2", "message 0"]
    paged = (await inbox.get("/api/v1/messages", params={"start": 1, "limit": 1})).json()
    assert [m["Subject"] for m in paged["messages"]] == ["message 1"]


async def test_messages_survive_a_restart(tmp_path: Path, smtp_port: int) -> None:
    folder = tmp_path / "mail"
    async with running(folder, smtp_port):
        await send(smtp_port, "ann@example.org", "kept", "on disk")
    async with running(folder, free_port()) as again:
        listing = (await again.get("/api/v1/messages")).json()
    assert [m["Subject"] for m in listing["messages"]] == ["kept"]


async def test_delete_some_then_all_and_a_bad_body_deletes_nothing(
    inbox: httpx.AsyncClient, smtp_port: int, tmp_path: Path
) -> None:
    for n in range(3):
        await send(smtp_port, "ann@example.org", f"m{n}", "x")
    ids = [m["ID"] for m in (await inbox.get("/api/v1/messages")).json()["messages"]]

    bad = await inbox.request("DELETE", "/api/v1/messages", content=b"{not json")
    assert bad.status_code == 400
    wrong = await inbox.request("DELETE", "/api/v1/messages", json={"IDs": [1, 2]})
    assert wrong.status_code == 400
    assert (await inbox.get("/api/v1/messages")).json()["total"] == 3

    some = await inbox.request("DELETE", "/api/v1/messages", json={"IDs": ids[:1]})
    assert some.status_code == 200
    assert (await inbox.get(f"/api/v1/message/{ids[0]}")).status_code == 404
    assert (await inbox.get("/api/v1/messages")).json()["total"] == 2

    assert (await inbox.delete("/api/v1/messages")).status_code == 200
    assert (await inbox.get("/api/v1/messages")).json()["total"] == 0
    assert list((tmp_path / "mail").glob("*.eml")) == []


async def test_the_inbox_pages_show_mail_escaped_with_clickable_links_and_no_script(
    inbox: httpx.AsyncClient, smtp_port: int
) -> None:
    link = "http://localhost:8080/verify-email#token=t0k3n"
    await send(smtp_port, "ann@example.org", "<script>alert(1)</script> Verify", f"Go: {link}")
    page = await inbox.get("/")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]

    message_id = (await inbox.get("/api/v1/messages")).json()["messages"][0]["ID"]
    view = await inbox.get(f"/view/{message_id}")
    assert f'<a href="{link}"' in view.text
    assert (await inbox.get("/view/nope")).status_code == 404
