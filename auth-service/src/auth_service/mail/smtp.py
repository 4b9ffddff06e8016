"""The SMTP connection settings, from one URL: `smtp://[user:password@]host[:port]`
(STARTTLS when the server offers it; `?starttls=required` to insist), or
`smtps://…` (TLS from the first byte, port 465 by default)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from auth_service.mail.models import OutboxMail
from auth_service.users.addresses import ascii_address


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    start_tls: bool | None  # None: when offered
    username: str | None
    password: str | None
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float = 10.0) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("AUTH_SMTP_URL must look like smtp://host:port or smtps://host:port")
        required = parse_qs(parts.query).get("starttls", [""])[0] == "required"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            implicit_tls=parts.scheme == "smtps",
            start_tls=True if required else None,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )

    async def send(self, sender: str, mail: OutboxMail) -> None:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ascii_address(mail.to_address)
        message["Subject"] = mail.subject
        message.set_content(mail.text_body)
        message.add_alternative(mail.html_body, subtype="html")
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            use_tls=self.implicit_tls,
            start_tls=None if self.implicit_tls else self.start_tls,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
        )
