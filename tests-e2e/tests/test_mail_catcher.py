"""The stack catches mail: what reaches its SMTP port is kept under the data folder and
read back through the Mailpit-compatible API and the inbox page, as `make run` prints."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage

import httpx
from tests_e2e.stacks import RunningStack


def test_mail_sent_to_the_stack_is_read_back_through_mailpits_api(stack: RunningStack) -> None:
    s = stack.settings
    subject = f"Hello {uuid.uuid4().hex[:8]}"
    message = EmailMessage()
    message["From"] = "no-reply@gatehouse.example"
    message["To"] = "ann@example.org"
    message["Subject"] = subject
    message.set_content("http://localhost/reset-password#token=abc")
    with smtplib.SMTP("127.0.0.1", s.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)

    with httpx.Client(base_url=s.mail_url, timeout=10) as mail:
        found = mail.get("/api/v1/search", params={"query": f"subject:{subject.split()[1]}"})
        (summary,) = found.json()["messages"]
        assert summary["To"][0]["Address"] == "ann@example.org"
        body = mail.get(f"/api/v1/message/{summary['ID']}").json()
        assert "reset-password#token=abc" in body["Text"]
        assert subject in mail.get("/").text
    assert any((s.data_dir / "mail").glob(f"{summary['ID']}.eml"))
