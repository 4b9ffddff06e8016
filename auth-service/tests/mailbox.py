"""The inbox of the in-process mail catcher (devstack.mailcatcher, a real SMTP server),
read through its Mailpit-compatible API, as a person reading their mail would."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx

RESET = "Reset your Gatehouse password"
VERIFY = "Confirm your email address"
EXISTS = "You already have a Gatehouse account"
CHANGE_CONFIRM = "Confirm your new email address"
CHANGE_NOTICE = "Your Gatehouse email address is changing"
PASSWORD_CHANGED = "Your Gatehouse password was changed"

WAIT_SECONDS = 20.0
_LINK = re.compile(r"(http://\S+?#token=([A-Za-z0-9_-]+))")


class Inbox:
    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    async def messages(self, to: str, subject: str | None = None) -> list[dict[str, Any]]:
        """Every message to `to` (with this subject), oldest first, with its bodies."""
        listing = (await self.api.get("/api/v1/messages", params={"limit": 1000})).json()
        found = []
        for summary in reversed(listing["messages"]):
            addresses = [a["Address"].lower() for a in summary["To"]]
            if to.lower() in addresses and subject in (None, summary["Subject"]):
                found.append((await self.api.get(f"/api/v1/message/{summary['ID']}")).json())
        return found

    async def wait_for(self, to: str, subject: str, count: int = 1) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(found := await self.messages(to, subject)) < count:
            assert time.monotonic() < deadline, f"no mail {subject!r} to {to} ({len(found)})"
            await asyncio.sleep(0.05)
        return found

    async def link(self, to: str, subject: str, count: int = 1) -> str:
        """The link in the newest of `count` such mails."""
        message = (await self.wait_for(to, subject, count))[-1]
        match = _LINK.search(message["Text"])
        assert match, message["Text"]
        return match.group(1)

    async def token(self, to: str, subject: str, count: int = 1) -> str:
        return (await self.link(to, subject, count)).split("#token=", 1)[1]
