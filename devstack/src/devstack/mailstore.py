"""The mail catcher's store: messages as `.eml` files in one folder, and their shapes in
Mailpit's API (MessageSummary, Message) and search."""

from __future__ import annotations

import email.policy
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

_PARSER = BytesParser(policy=email.policy.default)


@dataclass(frozen=True)
class Message:
    """One stored message: its id (sortable by arrival) and its parsed form."""

    id: str
    created: datetime
    raw: bytes

    @property
    def parsed(self) -> EmailMessage:
        parsed = _PARSER.parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _addresses(message: EmailMessage, header: str) -> list[dict[str, str]]:
    value = message.get(header)
    addresses: tuple[Address, ...] = getattr(value, "addresses", ()) if value else ()
    return [{"Name": a.display_name, "Address": a.addr_spec} for a in addresses]


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    if part is None or part.get_content_type() != f"text/{kind}":
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def summary(message: Message) -> dict[str, Any]:
    """Mailpit's MessageSummary."""
    parsed = message.parsed
    sender = _addresses(parsed, "From")
    return {
        "ID": message.id,
        "MessageID": str(parsed.get("Message-ID", "")).strip("<>"),
        "Read": False,
        "From": sender[0] if sender else {"Name": "", "Address": ""},
        "To": _addresses(parsed, "To"),
        "Cc": _addresses(parsed, "Cc"),
        "Bcc": [],
        "ReplyTo": _addresses(parsed, "Reply-To"),
        "Subject": str(parsed.get("Subject", "")),
        "Created": message.created.isoformat().replace("+00:00", "Z"),
        "Tags": [],
        "Size": len(message.raw),
        "Attachments": sum(1 for _ in parsed.iter_attachments()),
        "Snippet": " ".join(_body(parsed, "plain").split())[:250],
    }


def detail(message: Message) -> dict[str, Any]:
    """Mailpit's Message: the summary's fields plus both bodies."""
    parsed = message.parsed
    fields = summary(message)
    for listing_only in ("Read", "Created", "Attachments", "Snippet"):
        fields.pop(listing_only)
    fields.update(
        Date=fields_date(parsed, message.created),
        ReturnPath=str(parsed.get("Return-Path", "")).strip("<>"),
        Text=_body(parsed, "plain"),
        HTML=_body(parsed, "html"),
        Inline=[],
        Attachments=[],
    )
    return fields


def fields_date(parsed: EmailMessage, fallback: datetime) -> str:
    value = parsed.get("Date")
    when = getattr(value, "datetime", None) or fallback
    return str(when.isoformat()).replace("+00:00", "Z")


class MailStore:
    """Messages as `<id>.eml` files in one folder; the index lives in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._messages: dict[str, Message] = {}
        for path in sorted(folder.glob("*.eml")):
            created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            self._messages[path.stem] = Message(path.stem, created, path.read_bytes())

    def add(self, raw: bytes) -> Message:
        # Ids sort by arrival: nanoseconds, then randomness against ties.
        message_id = f"{time.time_ns():020d}{secrets.token_hex(3)}"
        staged = self.folder / f".{message_id}.tmp"
        staged.write_bytes(raw)
        os.replace(staged, self.folder / f"{message_id}.eml")  # whole or not at all
        message = Message(message_id, datetime.now(UTC), raw)
        self._messages[message_id] = message
        return message

    def newest_first(self) -> list[Message]:
        return sorted(self._messages.values(), key=lambda m: m.id, reverse=True)

    def get(self, message_id: str) -> Message | None:
        if message_id == "latest":
            newest = self.newest_first()
            return newest[0] if newest else None
        return self._messages.get(message_id)

    def delete(self, ids: list[str] | None = None) -> None:
        for message_id in list(self._messages) if ids is None else ids:
            if self._messages.pop(message_id, None) is not None:
                (self.folder / f"{message_id}.eml").unlink(missing_ok=True)


def matches(message: Message, query: str) -> bool:
    """Mailpit's search, for the terms tests use: `to:`, `from:`, `subject:`, free words."""
    parsed = message.parsed
    for term in query.split():
        key, _, value = term.partition(":")
        value = value.lower()
        if key == "to" and value:
            haystack = " ".join(a["Address"] for a in _addresses(parsed, "To"))
        elif key == "from" and value:
            haystack = " ".join(a["Address"] for a in _addresses(parsed, "From"))
        elif key == "subject" and value:
            haystack = str(parsed.get("Subject", ""))
        else:
            value = term.lower()
            haystack = f"{parsed.get('Subject', '')} {_body(parsed, 'plain')}"
        if value not in haystack.lower():
            return False
    return True
