"""The log-in's second step finished with a passkey (Chromium's virtual authenticator): an
account with an authenticator app and a passkey logs in with its password, then "Use a
passkey", and lands on the dashboard."""

from __future__ import annotations

from playwright.async_api import Page, expect

from .helpers import expect_dashboard, log_in, sign_up
from .mfa_helpers import (
    log_in_to_second_step_with_a_passkey,
    log_out_to_login,
    set_up_authenticator_app,
)


async def test_the_second_step_is_finished_with_a_passkey(page: Page, base_url: str) -> None:
    account = await log_in_to_second_step_with_a_passkey(page, base_url)
    await expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    await page.get_by_role("button", name="Use a passkey").click()
    await expect_dashboard(page, base_url, account.email)


async def test_a_failed_passkey_ceremony_is_announced_and_the_log_in_can_start_over(
    page: Page, base_url: str
) -> None:
    account = await log_in_to_second_step_with_a_passkey(page, base_url)
    await account.forget_passkeys()
    await page.get_by_role("button", name="Use a passkey").click()
    alert = page.locator("#mfa-form .form-error")
    await expect(alert).to_be_visible()
    await expect(alert).to_have_attribute("role", "alert")
    await expect(page.get_by_role("button", name="Use a passkey")).to_be_enabled()
    await page.get_by_role("button", name="Log in as someone else").click()
    await expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()


async def test_no_passkey_is_offered_to_an_account_without_one(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    await set_up_authenticator_app(page, base_url)
    await log_out_to_login(page, base_url)
    await log_in(page, email)
    await expect(page.get_by_label("Authentication code")).to_be_focused()
    await expect(page.get_by_role("button", name="Use a passkey")).to_be_hidden()
