"""Browser steps of second factors, shared by the MFA page tests and the accessibility states."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from playwright.async_api import CDPSession, Page, expect

from .helpers import (
    expect_login_page,
    log_in,
    prove_with_a_passkey_if_asked,
    sign_up,
    verify_email_of_settings_page,
    virtual_authenticator,
)


async def set_up_authenticator_app(page: Page, base_url: str) -> tuple[pyotp.TOTP, list[str]]:
    """On /settings: the QR code, its key typed into pyotp, the first code; the codes."""
    await page.goto(f"{base_url}/settings")
    await verify_email_of_settings_page(page, base_url)
    await page.get_by_role("button", name="Set up an authenticator app").click()
    await prove_with_a_passkey_if_asked(page, page.get_by_role("img", name="QR code"))
    secret = (await page.locator("#mfa-secret").text_content() or "").strip()
    totp = pyotp.TOTP(secret)
    await page.get_by_role("textbox", name="Authentication code").fill(totp.now())
    await page.get_by_role("button", name="Turn on").click()
    codes = page.locator("#recovery-codes li")
    await expect(codes).to_have_count(10)
    await expect(page.get_by_role("button", name="Download")).to_be_visible()
    await expect(page.get_by_role("button", name="Copy")).to_be_visible()
    recovery_codes = [code.strip() for code in await codes.all_text_contents()]
    await page.get_by_role("button", name="I've saved them").click()
    await expect(page.get_by_role("button", name="Turn off")).to_be_visible()
    return totp, recovery_codes


async def log_out_to_login(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/")
    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect_login_page(page, base_url)


async def log_in_to_second_step(page: Page, base_url: str) -> tuple[str, pyotp.TOTP, list[str]]:
    """A new account with an authenticator app, logged out and back in to the second step."""
    email = await sign_up(page, base_url)
    totp, codes = await set_up_authenticator_app(page, base_url)
    await log_out_to_login(page, base_url)
    await log_in(page, email)
    await expect(page.get_by_label("Authentication code")).to_be_focused()
    return email, totp, codes


async def add_passkey(page: Page, base_url: str, name: str = "Test laptop") -> None:
    """On /settings (right after a log-in: it needs a recent one), a passkey named `name`."""
    await page.goto(f"{base_url}/settings")
    await verify_email_of_settings_page(page, base_url)
    await page.get_by_label("Passkey name").fill(name)
    await page.get_by_role("button", name="Add a passkey").click()
    await prove_with_a_passkey_if_asked(page, page.locator("#passkey-list li", has_text=name))


@dataclass
class PasskeyAtSecondStep:
    email: str
    cdp: CDPSession
    authenticator_id: str

    async def forget_passkeys(self) -> None:
        """The authenticator loses its passkeys: the next ceremony fails, as a cancelled one."""
        await self.cdp.send("WebAuthn.clearCredentials", {"authenticatorId": self.authenticator_id})


async def log_in_to_second_step_with_a_passkey(page: Page, base_url: str) -> PasskeyAtSecondStep:
    """A new account with a passkey and an authenticator app, logged out and back in to
    the second step (which then offers the passkey)."""
    cdp, authenticator_id = await virtual_authenticator(page)
    email = await sign_up(page, base_url)
    await add_passkey(page, base_url)
    await set_up_authenticator_app(page, base_url)
    await log_out_to_login(page, base_url)
    await log_in(page, email)
    await expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    return PasskeyAtSecondStep(email, cdp, authenticator_id)
