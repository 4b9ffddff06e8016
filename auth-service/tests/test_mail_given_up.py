"""Mail the relay will never take is given up, not retried forever with a live link in
the database: at once on a permanent refusal (5xx) or an address the relay cannot take,
after a day on a temporary one. The relay is the real mail catcher, told to refuse."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from devstack.mailcatcher import create_app

from tests.test_mail_outbox import (  # noqa: F401 (fixtures)
    engine,
    messages,
    queue_reset_mail,
    sender_for,
    sessionmaker,
    smtp_port,
)

Catcher = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def refusing_catcher(tmp_path: Path, smtp_port: int) -> Catcher:  # noqa: F811
    @asynccontextmanager
    async def running(refusals: Mapping[str, str]) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(tmp_path / "mail", smtp_port, refusals=refusals)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mail") as api:
                yield api

    return running


async def _row(db, mail_id: int):
    return await db.fetchrow("SELECT * FROM mail_outbox WHERE id = $1", mail_id)


async def test_a_recipient_refused_for_good_is_given_up_at_once_and_its_link_erased(
    sessionmaker,  # noqa: F811
    refusing_catcher,
    smtp_port,  # noqa: F811
    db,
    caplog,
) -> None:
    caplog.set_level(logging.DEBUG)
    gone = "gone@example.org"
    mail_id = await queue_reset_mail(sessionmaker, to=gone)
    async with refusing_catcher({gone: "550 5.1.1 No such user here"}) as api:
        sender = sender_for(sessionmaker, smtp_port)
        assert await sender.deliver_due() == 0
        row = await _row(db, mail_id)
        assert row["failed_at"] is not None and row["sent_at"] is None
        assert row["text_body"] == "" and row["html_body"] == ""  # the live link is gone
        assert row["attempts"] == 1 and row["last_error"] == "SMTPRecipientsRefused 550"
        await db.execute("UPDATE mail_outbox SET next_attempt_at = now() - interval '1 hour'")
        assert await sender.deliver_due() == 0
        assert (await _row(db, mail_id))["attempts"] == 1  # never tried again
        assert await messages(api) == []
    event = await db.fetchrow("SELECT * FROM audit_events WHERE event = 'mail_given_up'")
    assert event["subject"] == gone and "s3cr3t" not in event["details"]
    assert '"reset_password"' in event["details"]
    ours = [r for r in caplog.records if r.name.startswith("auth_service")]
    logged = "\n".join(record.getMessage() for record in ours)
    assert "given up" in logged
    assert "s3cr3t" not in logged and gone not in logged


async def test_a_temporary_refusal_is_retried_until_the_mail_is_a_day_old(
    sessionmaker,  # noqa: F811
    refusing_catcher,
    smtp_port,  # noqa: F811
    db,
) -> None:
    busy = "busy@example.org"
    mail_id = await queue_reset_mail(sessionmaker, to=busy)
    async with refusing_catcher({busy: "451 4.3.0 Try again later"}):
        sender = sender_for(sessionmaker, smtp_port)
        assert await sender.deliver_due() == 0
        row = await _row(db, mail_id)
        assert row["failed_at"] is None and row["attempts"] == 1
        assert "s3cr3t" in row["text_body"]  # kept for the retry
        await db.execute(
            "UPDATE mail_outbox SET created_at = now() - interval '25 hours',"
            " next_attempt_at = now() - interval '1 second'"
        )
        assert await sender.deliver_due() == 0
        row = await _row(db, mail_id)
    assert row["failed_at"] is not None and row["attempts"] == 2
    assert row["text_body"] == "" and row["html_body"] == ""
    assert row["last_error"] == "SMTPRecipientsRefused 451"


async def test_an_address_a_relay_without_smtputf8_cannot_take_is_given_up_at_once(
    sessionmaker,  # noqa: F811
    refusing_catcher,
    smtp_port,  # noqa: F811
    db,
) -> None:
    mail_id = await queue_reset_mail(
        sessionmaker, to="j\N{LATIN SMALL LETTER U WITH DIAERESIS}rgen@example.org"
    )
    async with refusing_catcher({}):  # aiosmtpd offers no SMTPUTF8 unless told to
        assert await sender_for(sessionmaker, smtp_port).deliver_due() == 0
    row = await _row(db, mail_id)
    assert row["failed_at"] is not None and row["text_body"] == ""
    assert row["last_error"] == "SMTPNotSupported"


async def test_an_international_domain_goes_out_in_its_ascii_form(
    sessionmaker,  # noqa: F811
    refusing_catcher,
    smtp_port,  # noqa: F811
    db,
) -> None:
    mail_id = await queue_reset_mail(
        sessionmaker, to="ann@b\N{LATIN SMALL LETTER U WITH DIAERESIS}cher.de"
    )
    async with refusing_catcher({}) as api:
        assert await sender_for(sessionmaker, smtp_port).deliver_due() == 1
        (summary,) = await messages(api)
    assert summary["To"] == [{"Name": "", "Address": "ann@xn--bcher-kva.de"}]
    assert (await _row(db, mail_id))["sent_at"] is not None
