"""Passkeys in Chromium, with its virtual authenticator (the DevTools protocol's WebAuthn
domain: a platform authenticator with user verification, always approving): add one on
/settings, sign in with it alone from the log-in page, confirm it is you with it, remove it."""

from __future__ import annotations

import asyncio

from playwright.async_api import BrowserContext, Page, expect

from .helpers import (
    REAUTH_MAX_AGE,
    confirm,
    expect_dashboard,
    prove_with_a_passkey_if_asked,
    sign_up,
    sign_up_verified,
    verify_email_of_settings_page,
    virtual_authenticator,
)


async def open_settings(page: Page) -> None:
    """The dashboard's "Settings", of an account with a verified email (it enrols passkeys)."""
    await page.get_by_role("link", name="Settings").click()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await verify_email_of_settings_page(page, page.url.rsplit("/settings", 1)[0])


async def test_a_passkey_added_on_settings_signs_in_alone_and_can_be_removed(
    context: BrowserContext, page: Page, base_url: str
) -> None:
    await virtual_authenticator(page)
    email = await sign_up(page, base_url)
    await open_settings(page)
    passkeys = page.locator("#passkey-list")
    await expect(page.locator("#passkeys-empty")).to_be_visible()

    await page.get_by_label("Passkey name").fill("Test laptop")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(passkeys.locator("li")).to_have_count(1)
    await expect(passkeys).to_contain_text("Test laptop")
    await expect(passkeys).to_contain_text("Not used yet")

    await page.get_by_role("button", name="Rename Test laptop").click()
    await page.get_by_label("New name").fill("Work laptop")
    await page.get_by_role("button", name="Save name").click()
    await expect(passkeys.locator(".passkey-name")).to_have_text(["Work laptop"])

    await page.get_by_role("link", name="Dashboard").click()
    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect(page).to_have_url(f"{base_url}/login?notice=logged-out")
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect_dashboard(page, base_url, email)

    await open_settings(page)
    await expect(passkeys).to_contain_text("Last used")
    await page.get_by_role("button", name="Remove Work laptop").click()
    await confirm(page, "Remove")
    await expect(passkeys.locator("li")).to_have_count(0)
    await expect(page.locator("#passkeys-empty")).to_be_visible()


async def test_an_unknown_passkey_is_told_on_the_log_in_page(
    context: BrowserContext, page: Page, base_url: str
) -> None:
    cdp, _ = await virtual_authenticator(page)
    await sign_up(page, base_url)
    await open_settings(page)
    await page.get_by_label("Passkey name").fill("Soon gone")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#passkey-list li")).to_have_count(1)
    # The account forgets the passkey; the authenticator still offers it.
    await page.get_by_role("button", name="Remove Soon gone").click()
    await confirm(page, "Remove")
    await prove_with_a_passkey_if_asked(page, page.locator("#passkeys-empty"))
    await expect(page.locator("#passkey-list li")).to_have_count(0)
    await page.get_by_role("link", name="Dashboard").click()
    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect(page).to_have_url(f"{base_url}/login?notice=logged-out")

    await page.get_by_role("button", name="Sign in with a passkey").click()
    alert = page.locator("#passkey-login-error")
    await expect(alert).to_have_attribute("role", "alert")
    await expect(alert).to_contain_text("isn't registered with Gatehouse")
    await expect(page).to_have_url(f"{base_url}/login?notice=logged-out")
    await cdp.detach()


async def test_a_cancelled_passkey_sign_in_is_announced(
    context: BrowserContext, page: Page, base_url: str
) -> None:
    await virtual_authenticator(page, verifies_user=False)  # the person does not unlock it
    await page.goto(f"{base_url}/login")
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.locator("#passkey-login-error")).to_contain_text(
        "cancelled or timed out", timeout=90_000
    )


async def test_the_re_authentication_dialog_accepts_a_passkey(
    context: BrowserContext, page: Page, step_up_base_url: str
) -> None:
    await virtual_authenticator(page)
    await sign_up_verified(page, step_up_base_url)
    await open_settings(page)
    await page.get_by_label("Passkey name").fill("Phone")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#passkey-list li")).to_have_count(1)
    await asyncio.sleep(REAUTH_MAX_AGE + 1)  # the log-in is no longer recent

    await page.get_by_role("button", name="Remove Phone").click()
    await confirm(page, "Remove")
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Use a passkey").click()

    await expect(dialog).to_be_hidden()
    await expect(page.locator("#passkey-list li")).to_have_count(0)
