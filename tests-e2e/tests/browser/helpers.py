"""What the browser tests do again and again: open pages, sign up, read the network."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from dataclasses import dataclass

import httpx
from playwright.async_api import BrowserContext, CDPSession, Locator, Page, Request, expect
from tests_e2e.mail import await_link
from tests_e2e.stacks import RunningStack

PASSWORD = "correct horse battery staple"
# The token-lifecycle tests run against a stack of their own whose access tokens expire
# within the test and whose refresh-token grace window ends within it.
SHORT_TTL_SECONDS = 2
SHORT_GRACE_SECONDS = 2
REFRESH_PATH = "/api/auth/refresh"
# On the `step_up_base_url` stack, actions that need a recent log-in ask again this long after it.
REAUTH_MAX_AGE = 2
# The mail catcher of each booted stack, by its gateway's URL (see `gateway`).
MAIL_URLS: dict[str, str] = {}
_VERIFIED: set[str] = set()


def gateway(stack: RunningStack) -> str:
    """The URL of the stack's gateway, for the tests; its mail catcher is remembered for it."""
    MAIL_URLS[str(stack.base_url)] = stack.settings.mail_url
    return str(stack.base_url)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def sign_up(page: Page, base_url: str, email: str | None = None) -> str:
    """Signs up through the form; returns the email once the dashboard shows it."""
    email = email or unique_email()
    await page.goto(f"{base_url}/signup")
    await expect(page.locator("#auth-form")).to_have_attribute("data-ready", "true")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect_dashboard(page, base_url, email)
    return email


async def verify_email(base_url: str, email: str) -> None:
    """Opens the verification link that sign-up mailed to `email` (as its owner would), so
    that the account may enrol a second factor or a passkey. Once per address."""
    if email in _VERIFIED:
        return
    link = await await_link(MAIL_URLS[base_url], email, "verify-email")
    token = link.split("#token=", 1)[1]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post("/api/auth/email/verify", json={"token": token})
    assert response.status_code == 204, response.text
    _VERIFIED.add(email)


async def sign_up_verified(page: Page, base_url: str) -> str:
    """A new account whose email is verified, logged in on the page just now (on a stack
    where "recent" is short, the log-in is still recent when the test goes on)."""
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()
    await verify_email(base_url, email)
    await page.goto(f"{base_url}/login")
    await log_in(page, email)
    await expect_dashboard(page, base_url, email)
    return email


async def verify_email_of_settings_page(page: Page, base_url: str) -> None:
    """verify_email for the account whose /settings the page shows."""
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    email = (await page.locator("#current-email").text_content() or "").strip()
    await verify_email(base_url, email)


async def prove_with_a_passkey_if_asked(page: Page, done: Locator) -> None:
    """While a second factor is on, changing one needs a proof of one: when the page asks
    ("Confirm it's you"), the virtual authenticator's passkey answers. Then `done` shows."""
    reauth = page.locator("#reauth-dialog[open]")
    deadline = time.monotonic() + 15
    while not await done.first.is_visible():
        if await reauth.is_visible():
            await reauth.get_by_role("button", name="Use a passkey").click()
            break
        assert time.monotonic() < deadline, "neither the outcome nor the prompt showed"
        await asyncio.sleep(0.1)
    await expect(done.first).to_be_visible()


async def confirm(page: Page, action: str) -> None:
    """Answers the page's "are you sure?" dialog with its `action` button ("Delete")."""
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name=action, exact=True).click()
    await expect(dialog).to_be_hidden()


async def log_in(page: Page, email: str) -> None:
    """Fills and submits the log-in form the page is on, once its script has taken it over."""
    await expect(page.locator("#auth-form")).to_have_attribute("data-ready", "true")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()


async def expect_dashboard(page: Page, base_url: str, email: str) -> None:
    await expect(page).to_have_url(f"{base_url}/")
    await expect(page.locator("#identity-email")).to_have_text(email)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")


async def expect_login_page(page: Page, base_url: str) -> None:
    """The log-in page, with or without a word (`?notice=`) on why the person is there."""
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/login(\?notice=[a-z-]+)?$"))
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()


async def api_session(
    base_url: str, email: str, user_agent: str, *, new: bool = False
) -> httpx.AsyncClient:
    """A session opened over HTTP, as another device would: the client holds its cookie.
    With `new`, the user is signed up first."""
    client = httpx.AsyncClient(base_url=base_url, headers={"User-Agent": user_agent}, timeout=30)
    path = "/api/auth/signup" if new else "/api/auth/login"
    response = await client.post(path, json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return client


async def fresh_access_token(base_url: str, email: str) -> str:
    """An access token issued now to `email` (from a log-in of its own): it expires no
    earlier than any token a page of this user holds already."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        token = response.json()["access_token"]
        assert isinstance(token, str)
        return token


async def api_refresh_status(client: httpx.AsyncClient) -> int:
    """What the auth service answers when this device tries to refresh its session."""
    response = await client.post(REFRESH_PATH, headers={"X-Requested-With": "pytest"})
    return response.status_code


@dataclass
class Exchange:
    page: int
    method: str
    path: str
    status: int | None
    started_ms: float
    ended_ms: float


class NetworkLog:
    """Every API call the watched pages make, with the browser's own timings."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._changed = asyncio.Event()

    def watch(self, page: Page, number: int) -> None:
        page.on("requestfinished", lambda request: self._finished(number, request))

    async def _finished(self, number: int, request: Request) -> None:
        path = request.url.split("://", 1)[1].split("/", 1)[1]
        if not path.startswith("api/"):
            return
        response = await request.response()
        timing = request.timing
        self.exchanges.append(
            Exchange(
                page=number,
                method=request.method,
                path="/" + path,
                status=response.status if response else None,
                started_ms=timing["startTime"] + timing["requestStart"],
                ended_ms=timing["startTime"] + timing["responseEnd"],
            )
        )
        self._changed.set()

    def calls(self, path: str) -> list[Exchange]:
        """The calls to `path`, in the order the browser sent them."""
        matching = [exchange for exchange in self.exchanges if exchange.path.split("?")[0] == path]
        return sorted(matching, key=lambda exchange: exchange.started_ms)

    def refreshes(self) -> list[Exchange]:
        return self.calls(REFRESH_PATH)

    async def wait_for(self, path: str, count: int) -> list[Exchange]:
        """The calls to `path` once at least `count` have finished (the browser reports them
        a moment after the page has moved on), or after 10 s whatever there is."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while len(self.calls(path)) < count:
                    self._changed.clear()
                    await self._changed.wait()
        return self.calls(path)


async def storage_dump(context: BrowserContext) -> list[str]:
    """Everything a script of the origin could read: web storage and document.cookie, per page."""
    found: list[str] = []
    for page in context.pages:
        found += await page.evaluate(
            """() => [
                ...Object.entries(localStorage).map(([k, v]) => `localStorage ${k}=${v}`),
                ...Object.entries(sessionStorage).map(([k, v]) => `sessionStorage ${k}=${v}`),
                `document.cookie=${document.cookie}`,
            ]"""
        )
    return found


async def virtual_authenticator(
    page: Page, *, verifies_user: bool = True, transport: str = "internal"
) -> tuple[CDPSession, str]:
    """Chromium's virtual platform authenticator for this tab (resident keys, always present;
    `verifies_user=False`: the person does not unlock the device). It holds the passkeys
    the tab creates (a tab's authenticators are its own). `transport="usb"`: a security key
    besides the platform one (Chromium allows one internal). The session and its id."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": transport,
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": verifies_user,
        "automaticPresenceSimulation": True,
    }
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, str(added["authenticatorId"])
