"""The account pages in Chromium, with the mail read from the stack's catcher: a forgotten
password reset through the mailed link, a password changed on /settings (the other
device's session ends, this one lives), the verification banner, and the password prompt
of an action that needs a recent log-in."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect
from tests_e2e.mail import await_link
from tests_e2e.stacks import RunningStack

from .conftest import NewContext
from .helpers import (
    PASSWORD,
    REAUTH_MAX_AGE,
    NetworkLog,
    expect_dashboard,
    sign_up,
    unique_email,
)

NEW_PASSWORD = "a brand new passphrase for this test"


def at(base_url: str, link: str) -> str:
    """The mailed link opened on this stack's gateway (its path and fragment)."""
    parts = urlsplit(link)
    return f"{base_url}{parts.path}#{parts.fragment}"


async def log_in_with(page: Page, email: str, password: str) -> None:
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Log in").click()


async def open_settings(page: Page) -> None:
    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")


async def test_the_log_in_page_links_to_forgot_password(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_role("link", name="Forgot your password?").click()

    await expect(page).to_have_url(f"{base_url}/forgot-password")
    await expect(page.get_by_label("Email")).to_be_visible()
    await expect(page.get_by_role("button", name="Send reset link")).to_be_visible()


async def test_a_reset_link_leaves_the_address_bar_and_is_sent_only_on_the_button(
    page: Page, base_url: str
) -> None:
    network = NetworkLog()
    network.watch(page, 0)
    await page.goto(f"{base_url}/reset-password#token={'x' * 43}")

    await expect(page.get_by_role("button", name="Set new password")).to_be_visible()
    await expect(page).to_have_url(f"{base_url}/reset-password")
    assert await page.evaluate("window.location.hash") == ""
    await page.wait_for_load_state("networkidle")
    assert network.calls("/api/auth/password/reset") == []

    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set new password").click()
    # Not a token of the stack's: the page says so and offers to ask again.
    await expect(page.locator("#token-invalid")).to_contain_text("expired or has already been used")
    await expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
    assert len(await network.wait_for("/api/auth/password/reset", 1)) == 1


async def test_a_link_without_its_token_says_it_is_incomplete(page: Page, base_url: str) -> None:
    for path in ("reset-password", "verify-email", "confirm-email"):
        await page.goto(f"{base_url}/{path}")
        await expect(page.locator("#token-invalid")).to_contain_text("This link is incomplete")


async def test_forgotten_password_is_reset_through_the_mailed_link_and_logs_in(
    new_context: NewContext, base_url: str, stack: RunningStack
) -> None:
    email = await sign_up(await (await new_context()).new_page(), base_url)
    page = await (await new_context()).new_page()
    await page.goto(f"{base_url}/login")
    await page.get_by_role("link", name="Forgot your password?").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.locator("#request-sent")).to_contain_text("If an account exists for")

    link = await await_link(stack.settings.mail_url, email, "reset-password")
    await page.goto(at(base_url, link))
    await expect(page).to_have_url(f"{base_url}/reset-password")  # the token left the URL
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set new password").click()

    await expect(page).to_have_url(f"{base_url}/login?notice=password-reset")
    await expect(page.get_by_role("status").first).to_contain_text("Your new password is set")
    await log_in_with(page, email, NEW_PASSWORD)
    await expect_dashboard(page, base_url, email)

    # The link worked once: opened again, it says so.
    used = await (await new_context()).new_page()
    await used.goto(at(base_url, link))
    await used.get_by_label("New password", exact=True).fill("yet another passphrase here")
    await used.get_by_role("button", name="Set new password").click()
    await expect(used.locator("#token-invalid")).to_contain_text("already been used")


async def test_forgot_password_confirms_the_same_way_for_an_unknown_email(
    page: Page, base_url: str
) -> None:
    await page.goto(f"{base_url}/forgot-password")
    await page.get_by_label("Email").fill(unique_email("nobody"))
    await page.get_by_role("button", name="Send reset link").click()

    await expect(page.locator("#request-sent")).to_contain_text("If an account exists for")


async def test_changing_the_password_ends_the_other_device_and_keeps_this_one(
    new_context: NewContext, base_url: str
) -> None:
    here = await (await new_context()).new_page()
    email = await sign_up(here, base_url)
    there = await (await new_context()).new_page()  # another device, logged in too
    await there.goto(f"{base_url}/login")
    await log_in_with(there, email, PASSWORD)
    await expect_dashboard(there, base_url, email)

    await open_settings(here)
    await here.get_by_label("Current password").fill(PASSWORD)
    await here.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await here.get_by_role("button", name="Change password").click()
    await expect(here.locator("#password-done")).to_contain_text("Your password is changed")

    await there.reload()  # its session ended: back to the log-in page
    await expect(there).to_have_url(f"{base_url}/login?next=%2F&notice=session-ended")
    await expect(there.locator("#auth-notice")).to_contain_text("Your session ended")
    await here.goto(f"{base_url}/")
    await expect_dashboard(here, base_url, email)
    await log_in_with(there, email, NEW_PASSWORD)
    await expect_dashboard(there, base_url, email)


async def test_a_wrong_current_password_is_said_next_to_its_field(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    await open_settings(page)
    await page.get_by_label("Current password").fill("not my password at all")
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()

    await expect(page.locator("#current_password-error")).to_contain_text("isn't right")
    await expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")


async def test_the_verification_banner_goes_once_the_mailed_link_is_opened(
    page: Page, base_url: str, stack: RunningStack
) -> None:
    email = await sign_up(page, base_url)
    banner = page.locator("#verify-banner")
    await expect(banner).to_be_visible()
    await page.get_by_role("button", name="Resend verification email").click()
    await expect(banner).to_contain_text("We've sent a new link")

    # The resent link (the newest) voids the first one.
    link = await await_link(stack.settings.mail_url, email, "verify-email", after=1)
    await page.goto(at(base_url, link))
    await page.get_by_role("button", name="Verify email").click()
    await expect(page.locator("#token-done")).to_contain_text("Your email address is verified")

    await page.get_by_role("link", name="Go to your dashboard").click()
    await expect_dashboard(page, base_url, email)
    await expect(banner).to_be_hidden()


async def test_an_action_needing_a_recent_log_in_asks_for_the_password_then_goes_on(
    page: Page, step_up_base_url: str
) -> None:
    base_url = step_up_base_url
    await sign_up(page, base_url)
    await open_settings(page)
    await asyncio.sleep(REAUTH_MAX_AGE + 1)  # the log-in is no longer recent

    await page.get_by_label("New email").fill(unique_email("moved"))
    await page.locator("#email-form").get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Change email").click()
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    await expect(dialog).to_be_visible()
    results = await Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    assert results.response["violations"] == []

    await dialog.get_by_label("Password", exact=True).fill("not my password at all")
    await dialog.get_by_role("button", name="Confirm").click()
    await expect(dialog.locator("#reauth-password-error")).to_contain_text("isn't right")
    await dialog.get_by_label("Password", exact=True).fill(PASSWORD)
    await dialog.get_by_role("button", name="Confirm").click()

    await expect(dialog).to_be_hidden()
    await expect(page.locator("#email-done")).to_contain_text("Check your new inbox")


async def test_cancelling_the_password_prompt_changes_nothing(
    page: Page, step_up_base_url: str
) -> None:
    await sign_up(page, step_up_base_url)
    await open_settings(page)
    await asyncio.sleep(REAUTH_MAX_AGE + 1)

    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")

    await expect(dialog).to_be_hidden()
    await expect(page.locator("#password-form .form-error")).to_contain_text("Nothing changed")
