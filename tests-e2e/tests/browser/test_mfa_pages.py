"""An authenticator app in the browser: set up on /settings, then the log-in's second step
with a code from it, or with a recovery code."""

from __future__ import annotations

import time

from playwright.async_api import Page, expect

from .helpers import expect_dashboard, log_in, sign_up
from .mfa_helpers import log_out_to_login, set_up_authenticator_app


async def test_an_authenticator_app_set_up_in_settings_guards_the_next_log_in(
    page: Page, base_url: str
) -> None:
    email = await sign_up(page, base_url)
    totp, recovery_codes = await set_up_authenticator_app(page, base_url)

    download = page.get_by_role("button", name="New recovery codes")
    await expect(download).to_be_visible()
    await log_out_to_login(page, base_url)

    await log_in(page, email)
    code_field = page.get_by_label("Authentication code")
    await expect(code_field).to_be_focused()
    await code_field.fill("000000")
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator("#mfa-code-error")).to_contain_text("isn't right")
    await code_field.fill(totp.at(time.time() + 30))  # not the enrolment's code
    await page.get_by_role("button", name="Verify").click()
    await expect_dashboard(page, base_url, email)

    await log_out_to_login(page, base_url)
    await log_in(page, email)
    await page.get_by_role("button", name="Use a recovery code instead").click()
    await page.get_by_label("Recovery code").fill(recovery_codes[0])
    await page.get_by_role("button", name="Verify").click()
    await expect_dashboard(page, base_url, email)
