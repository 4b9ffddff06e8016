"""Reading what the stack mailed, through the mail catcher's Mailpit API (the same calls
work against Mailpit itself): the newest message to an address, and the link in it."""

from __future__ import annotations

import asyncio
import re
import time

import httpx

# The sender delivers from the outbox a moment after the request that wrote the mail.
MAIL_TIMEOUT = 30.0
_LINK = r"https?://[^\s<>\"']+/{path}#token=[A-Za-z0-9_\-]+"


def _count(mail_url: str, to: str) -> int:
    with httpx.Client(base_url=mail_url, timeout=10) as mail:
        return len(mail.get("/api/v1/search", params={"query": f"to:{to}"}).json()["messages"])


def mail_count(mail_url: str, to: str) -> int:
    """How many mails the catcher holds for `to`."""
    return _count(mail_url, to)


def wait_for_link(mail_url: str, to: str, path: str, *, after: int = 0) -> str:
    """The `/{path}#token=…` link of the newest mail to `to` that has one, once more than
    `after` mails reached `to`."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while True:
        link = _link_now(mail_url, to, path, after)
        if link:
            return link
        if time.monotonic() > deadline:
            raise TimeoutError(f"no mail to {to} with a /{path} link")
        time.sleep(0.2)


async def await_link(mail_url: str, to: str, path: str, *, after: int = 0) -> str:
    """wait_for_link for async tests (the browser's event loop keeps running)."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while True:
        link = await asyncio.to_thread(_link_now, mail_url, to, path, after)
        if link:
            return link
        if time.monotonic() > deadline:
            raise TimeoutError(f"no mail to {to} with a /{path} link")
        await asyncio.sleep(0.2)


def _link_now(mail_url: str, to: str, path: str, after: int) -> str | None:
    if _count(mail_url, to) <= after:
        return None
    with httpx.Client(base_url=mail_url, timeout=10) as mail:
        found = mail.get("/api/v1/search", params={"query": f"to:{to}"}).json()["messages"]
        for summary in sorted(found, key=lambda m: str(m.get("Created", "")), reverse=True):
            text = mail.get(f"/api/v1/message/{summary['ID']}").json()["Text"]
            match = re.search(_LINK.format(path=re.escape(path)), text)
            if match:
                return match.group(0)
    return None


_SIGN_IN_CODE = re.compile(r"sign-in code: ([0-9]{6})")


async def await_sign_in_mail(mail_url: str, to: str, *, after: int = 0) -> tuple[str, str]:
    """The `/login-link#token=…` link and the 6-digit code of the newest sign-in mail to
    `to`, once more than `after` mails reached it."""
    link = await await_link(mail_url, to, "login-link", after=after)
    text = await asyncio.to_thread(_text_with, mail_url, to, link)
    match = _SIGN_IN_CODE.search(text)
    assert match, text
    return link, match.group(1)


def _text_with(mail_url: str, to: str, needle: str) -> str:
    with httpx.Client(base_url=mail_url, timeout=10) as mail:
        found = mail.get("/api/v1/search", params={"query": f"to:{to}"}).json()["messages"]
        for summary in found:
            text = str(mail.get(f"/api/v1/message/{summary['ID']}").json()["Text"])
            if needle in text:
                return text
    raise AssertionError(f"no mail to {to} holds {needle}")
