"""Mail goes through the outbox to a real SMTP server (the local stack's mail catcher):
written in the transaction that makes what it carries, delivered with retries, so an SMTP
server that is down delays mail and loses none; delivered once however many replicas send;
and no link or token ever reaches a log."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from auth_service.mail import outbox
from auth_service.mail.sender import MailSender
from auth_service.mail.smtp import SmtpServer
from auth_service.mail.templates import MailTemplates
from devstack.mailcatcher import create_app
from devstack.ports import free_port
from service_kit import db as database
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.helpers import FakeClock

LINK = "http://localhost:8080/reset-password#token=s3cr3t-t0k3n-value"
SENDER = "Gatehouse <no-reply@gatehouse.example>"

Catcher = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def engine(database_url: str, clean_state: None) -> AsyncIterator[AsyncEngine]:
    engine = database.create_engine(database_url, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return database.session_factory(engine)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def catcher(tmp_path: Path, smtp_port: int) -> Catcher:
    """Starts the mail catcher (SMTP on `smtp_port`); its Mailpit API as a client."""

    @asynccontextmanager
    async def running() -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(tmp_path / "mail", smtp_port)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mail") as api:
                yield api

    return running


def sender_for(
    sessionmaker: async_sessionmaker[AsyncSession], port: int, clock: FakeClock | None = None
) -> MailSender:
    smtp = SmtpServer.from_url(f"smtp://127.0.0.1:{port}")
    return MailSender(sessionmaker, smtp, SENDER, clock=clock or FakeClock())


async def queue_reset_mail(
    sessionmaker: async_sessionmaker[AsyncSession], to: str = "ann@example.org"
) -> int:
    mail = MailTemplates().render("reset_password", link=LINK, minutes=30)
    async with sessionmaker() as db, db.begin():
        row = await outbox.add(db, to, mail)
    assert row.id is not None
    return row.id


async def messages(api: httpx.AsyncClient) -> list[dict[str, object]]:
    listing = (await api.get("/api/v1/messages")).json()
    return list(listing["messages"])


async def test_a_queued_mail_is_delivered_with_both_bodies_and_the_outbox_keeps_no_copy(
    sessionmaker, catcher, smtp_port, db
) -> None:
    mail_id = await queue_reset_mail(sessionmaker)
    async with catcher() as api:
        assert await sender_for(sessionmaker, smtp_port).deliver_due() == 1
        (summary,) = await messages(api)
        message = (await api.get(f"/api/v1/message/{summary['ID']}")).json()
    assert message["Subject"] == "Reset your Gatehouse password"
    assert message["To"] == [{"Name": "", "Address": "ann@example.org"}]
    assert message["From"]["Address"] == "no-reply@gatehouse.example"
    assert LINK in message["Text"] and "30 minutes" in message["Text"]
    assert f'href="{LINK}"' in message["HTML"]
    row = await db.fetchrow("SELECT * FROM mail_outbox WHERE id = $1", mail_id)
    assert row["sent_at"] is not None
    assert row["text_body"] == "" and row["html_body"] == ""  # the live link is gone


async def test_a_mail_rolled_back_with_its_transaction_is_never_sent(
    sessionmaker, catcher, smtp_port
) -> None:
    mail = MailTemplates().render("reset_password", link=LINK, minutes=30)
    with pytest.raises(RuntimeError):
        async with sessionmaker() as db, db.begin():
            await outbox.add(db, "ann@example.org", mail)
            raise RuntimeError("the request failed after queueing")
    async with catcher() as api:
        assert await sender_for(sessionmaker, smtp_port).deliver_due() == 0
        assert await messages(api) == []


async def test_smtp_down_delays_the_mail_and_loses_none(
    sessionmaker, catcher, smtp_port, db, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    mail_id = await queue_reset_mail(sessionmaker)
    clock = FakeClock()
    sender = sender_for(sessionmaker, smtp_port, clock)

    assert await sender.deliver_due() == 0  # nothing listens on the SMTP port
    row = await db.fetchrow("SELECT * FROM mail_outbox WHERE id = $1", mail_id)
    assert row["attempts"] == 1 and row["sent_at"] is None
    assert row["last_error"] and row["next_attempt_at"] > row["created_at"]

    async with catcher() as api:  # the server is back
        assert await sender.deliver_due() == 0  # the retry waits for its back-off
        clock.advance((row["next_attempt_at"] - clock.now()).total_seconds() + 1)
        assert await sender.deliver_due() == 1
        (summary,) = await messages(api)
        assert summary["Subject"] == "Reset your Gatehouse password"
    assert await db.fetchval("SELECT sent_at FROM mail_outbox WHERE id = $1", mail_id)
    # The service's own log lines (the in-process catcher logs what it receives).
    ours = [r for r in caplog.records if r.name.startswith("auth_service")]
    logged = "\n".join(record.getMessage() for record in ours)
    assert "not delivered" in logged
    assert "s3cr3t" not in logged and "ann@example.org" not in logged


async def test_two_senders_at_once_deliver_each_mail_once(sessionmaker, catcher, smtp_port) -> None:
    for n in range(12):
        await queue_reset_mail(sessionmaker, to=f"user{n}@example.org")
    async with catcher() as api:
        replicas = [sender_for(sessionmaker, smtp_port) for _ in range(2)]
        delivered = await asyncio.gather(*(r.deliver_due() for r in replicas))
        assert sum(delivered) == 12
        addresses = sorted(str(m["To"][0]["Address"]) for m in await messages(api))  # type: ignore[index]
    assert addresses == sorted(f"user{n}@example.org" for n in range(12))


async def test_the_running_sender_delivers_a_mail_as_soon_as_it_is_woken(
    sessionmaker, catcher, smtp_port
) -> None:
    sender = MailSender(
        sessionmaker,
        SmtpServer.from_url(f"smtp://127.0.0.1:{smtp_port}"),
        SENDER,
        poll_interval=3600,  # only the wake-up can explain a prompt delivery
    )
    async with catcher() as api:
        sender.start()
        try:
            await asyncio.sleep(0.2)  # its first round found nothing and sleeps
            await queue_reset_mail(sessionmaker)
            sender.wake()
            deadline = time.monotonic() + 10
            while not await messages(api):
                assert time.monotonic() < deadline, "the woken sender did not deliver"
                await asyncio.sleep(0.05)
        finally:
            await sender.stop()


def test_templates_escape_what_they_are_given_and_refuse_a_missing_value() -> None:
    templates = MailTemplates()
    notice = templates.render("email_change_notice", new_email="<script>x</script>@example.org")
    assert "&lt;script&gt;" in notice.html and "<script>" not in notice.html
    assert "<script>x</script>@example.org" in notice.text  # plain text is not HTML
    with pytest.raises(Exception, match="link"):
        templates.render("reset_password", minutes=30)
    with pytest.raises(ValueError, match="no mail template"):
        templates.render("nonsense")


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "starttls", "user"),
    [
        ("smtp://127.0.0.1:1025", "127.0.0.1", 1025, False, None, None),
        ("smtps://mail.example.org", "mail.example.org", 465, True, None, None),
        (
            "smtp://u%40x:p%3Aw@mail.example.org:587?starttls=required",
            "mail.example.org",
            587,
            False,
            True,
            "u@x",
        ),
    ],
)
def test_smtp_urls(url, host, port, tls, starttls, user) -> None:
    server = SmtpServer.from_url(url)
    assert (server.host, server.port, server.implicit_tls) == (host, port, tls)
    assert (server.start_tls, server.username) == (starttls, user)


def test_a_non_smtp_url_is_refused() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        SmtpServer.from_url("http://mail.example.org")
