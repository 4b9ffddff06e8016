"""A person sent to the log-in page is told why: "You are logged out" after their own
"Log out"; "Your session ended" when it ended without them (revoked from another device,
a password reset, "Log out everywhere" in another tab or on another device, a refresh
refused while the page is open); nothing for a visitor who never had a session."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from playwright.async_api import BrowserContext, Page, expect
from tests_e2e.mail import await_link

from .helpers import (
    MAIL_URLS,
    PASSWORD,
    SHORT_TTL_SECONDS,
    confirm,
    sign_up,
)

ENDED = "Your session ended"
LOGGED_OUT = "You are logged out"


@contextlib.asynccontextmanager
async def _other_device(
    base_url: str, email: str
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A log-in of the same user elsewhere: its client and Bearer header."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        body = {"email": email, "password": PASSWORD}
        response = await client.post("/api/auth/login", json=body)
        response.raise_for_status()
        yield client, {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_log_out_says_you_are_logged_out(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect(page.locator("#auth-notice")).to_have_text(f"{LOGGED_OUT}.")
    await expect(page.get_by_role("status").filter(has_text=LOGGED_OUT)).to_be_visible()


async def test_a_visitor_who_never_logged_in_is_told_nothing(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/settings")
    await expect(page).to_have_url(f"{base_url}/login?next=%2Fsettings")
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()
    await expect(page.locator("#auth-notice")).to_be_hidden()


async def test_a_session_revoked_from_another_device_says_it_ended(
    page: Page, base_url: str
) -> None:
    email = await sign_up(page, base_url)
    sid = await page.locator("#identity-sid").text_content()
    async with _other_device(base_url, email) as (other, bearer):
        revoked = await other.delete(f"/api/auth/sessions/{sid}", headers=bearer)
        assert revoked.status_code == 204, revoked.text

    await page.reload()
    await expect(page).to_have_url(f"{base_url}/login?next=%2F&notice=session-ended")
    await expect(page.locator("#auth-notice")).to_contain_text(ENDED)


async def test_log_out_everywhere_on_another_device_says_the_session_ended(
    page: Page, base_url: str
) -> None:
    email = await sign_up(page, base_url)
    async with _other_device(base_url, email) as (other, bearer):
        (await other.post("/api/auth/logout-all", headers=bearer)).raise_for_status()

    await page.goto(f"{base_url}/settings")
    await expect(page.locator("#auth-notice")).to_contain_text(ENDED)
    await expect(page).to_have_url(f"{base_url}/login?next=%2Fsettings&notice=session-ended")


async def test_a_password_reset_elsewhere_says_the_session_ended(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as other:
        (await other.post("/api/auth/password/forgot", json={"email": email})).raise_for_status()
        link = await await_link(MAIL_URLS[base_url], email, "reset-password")
        token = link.split("#token=", 1)[1]
        body = {"token": token, "new_password": "a new passphrase, set from a phone"}
        (await other.post("/api/auth/password/reset", json=body)).raise_for_status()

    await page.reload()
    await expect(page.locator("#auth-notice")).to_contain_text(ENDED)


async def test_log_out_everywhere_in_one_tab_tells_each_tab_why(
    context: BrowserContext, base_url: str
) -> None:
    here, there = await context.new_page(), await context.new_page()
    await sign_up(here, base_url)
    await there.goto(f"{base_url}/settings")
    await expect(there.locator("body")).to_have_attribute("data-ready", "true")

    await here.get_by_role("button", name="Log out everywhere").click()
    await confirm(here, "Log out everywhere")

    await expect(here.locator("#auth-notice")).to_contain_text(LOGGED_OUT)
    await expect(there.locator("#auth-notice")).to_contain_text(ENDED)


async def test_a_refresh_refused_while_the_page_is_open_says_the_session_ended(
    page: Page, short_ttl_base_url: str
) -> None:
    base_url = short_ttl_base_url
    email = await sign_up(page, base_url)
    async with _other_device(base_url, email) as (other, bearer):
        (await other.post("/api/auth/logout-all", headers=bearer)).raise_for_status()
    await asyncio.sleep(SHORT_TTL_SECONDS + 1)  # the page's access token has expired

    form = page.get_by_role("form", name="New note")
    await form.get_by_label("Title").fill("Too late")
    await form.get_by_role("button", name="Add note").click()
    await expect(page).to_have_url(f"{base_url}/login?next=%2F&notice=session-ended")
    await expect(page.locator("#auth-notice")).to_contain_text(ENDED)
