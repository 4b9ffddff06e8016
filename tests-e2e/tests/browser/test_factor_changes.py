"""Changing a second factor on /settings: what the server refuses is said in the card (an
email not verified yet: the problem's `detail`), and a change that needs a fresh proof asks
"Confirm it's you", with the authenticator app's code when the password is not enough.

The refusals of an unverified email are the API's documented problem+json answers, played
by `page.route` so that the page's handling is pinned whatever the account's state."""

from __future__ import annotations

import asyncio
import json
import time

from playwright.async_api import Page, Route, expect

from .helpers import (
    REAUTH_MAX_AGE,
    confirm,
    sign_up,
    sign_up_verified,
    verify_email_of_settings_page,
    virtual_authenticator,
)
from .mfa_helpers import set_up_authenticator_app

NOT_VERIFIED = "Verify your email address before you add a second factor (a test's words)."


async def _refuse_unverified(route: Route) -> None:
    problem = {
        "type": "about:blank",
        "status": 403,
        "title": "The email is not verified yet",
        "detail": NOT_VERIFIED,
        "code": "email_not_verified",
    }
    await route.fulfill(
        status=403, content_type="application/problem+json", body=json.dumps(problem)
    )


async def _settings(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    await page.goto(f"{base_url}/settings")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")


async def test_an_authenticator_app_refused_for_an_unverified_email_says_why(
    page: Page, base_url: str
) -> None:
    await _settings(page, base_url)
    await page.route("**/api/auth/mfa/totp", _refuse_unverified)
    start = page.get_by_role("button", name="Set up an authenticator app")
    await start.click()

    card = page.locator("#mfa-form")
    await expect(card.get_by_role("alert")).to_have_text(NOT_VERIFIED)
    await expect(start).to_be_visible()


async def test_a_first_code_refused_for_an_unverified_email_is_not_called_wrong(
    page: Page, base_url: str
) -> None:
    await _settings(page, base_url)
    await verify_email_of_settings_page(page, base_url)  # the start is refused otherwise
    await page.get_by_role("button", name="Set up an authenticator app").click()
    await expect(page.get_by_role("img", name="QR code")).to_be_visible()
    await page.route("**/api/auth/mfa/totp/confirm", _refuse_unverified)
    await page.locator("#mfa-form").get_by_label("Authentication code").fill("123456")
    await page.get_by_role("button", name="Turn on").click()

    await expect(page.locator("#mfa-form").get_by_text(NOT_VERIFIED)).to_be_visible()
    await expect(page.get_by_text("isn't right")).to_have_count(0)


async def test_a_passkey_refused_for_an_unverified_email_says_why(
    page: Page, base_url: str
) -> None:
    await virtual_authenticator(page)
    await _settings(page, base_url)
    await page.route("**/api/auth/webauthn/register/options", _refuse_unverified)
    await page.get_by_label("Passkey name").fill("Laptop")
    await page.get_by_role("button", name="Add a passkey").click()

    await expect(page.locator("#passkey-form").get_by_role("alert")).to_have_text(NOT_VERIFIED)
    await expect(page.locator("#passkey-list li")).to_have_count(0)


async def test_turning_the_app_off_after_a_while_is_confirmed_with_its_code(
    page: Page, step_up_base_url: str
) -> None:
    base_url = step_up_base_url
    await sign_up_verified(page, base_url)
    totp, _ = await set_up_authenticator_app(page, base_url)
    await asyncio.sleep(REAUTH_MAX_AGE + 1)  # the log-in is no longer recent

    await page.get_by_role("button", name="Turn off").click()
    await confirm(page, "Turn off")
    reauth = page.get_by_role("dialog", name="Confirm it's you")
    await expect(reauth).to_be_visible()
    await reauth.get_by_role("button", name="Use an authentication code instead").click()
    await reauth.get_by_label("Authentication code").fill(totp.at(time.time() + 30))
    await reauth.get_by_role("button", name="Confirm").click()

    await expect(reauth).to_be_hidden()
    await expect(page.get_by_role("button", name="Set up an authenticator app")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("button", name="Set up an authenticator app")).to_be_visible()


async def test_when_the_password_is_not_enough_the_prompt_asks_for_the_code(
    page: Page, base_url: str
) -> None:
    """The API wants a proof of the factor itself to remove it: a password re-log-in still
    gets `insufficient_user_authentication`, and the prompt then asks for the code."""
    await sign_up(page, base_url)
    totp, _ = await set_up_authenticator_app(page, base_url)
    proved_with_code = False

    async def reauth_seen(route: Route) -> None:
        nonlocal proved_with_code
        proved_with_code = proved_with_code or "code" in (route.request.post_data_json or {})
        await route.continue_()

    async def factor_proof_needed(route: Route) -> None:
        if proved_with_code:
            await route.continue_()
            return
        challenge = 'Bearer error="insufficient_user_authentication", max_age=300'
        problem = {"status": 401, "title": "A fresh proof is needed", "code": "step_up_required"}
        await route.fulfill(
            status=401,
            headers={"WWW-Authenticate": challenge},
            content_type="application/problem+json",
            body=json.dumps(problem),
        )

    await page.route("**/api/auth/reauth", reauth_seen)
    await page.route("**/api/auth/mfa/totp", factor_proof_needed)

    await page.get_by_role("button", name="Turn off").click()
    await confirm(page, "Turn off")
    reauth = page.get_by_role("dialog", name="Confirm it's you")
    await reauth.get_by_label("Password", exact=True).fill("correct horse battery staple")
    await reauth.get_by_role("button", name="Confirm").click()

    await expect(reauth).to_contain_text("Your password isn't enough")
    code = reauth.get_by_label("Authentication code")
    await expect(code).to_be_focused()
    await code.fill(totp.at(time.time() + 30))
    await reauth.get_by_role("button", name="Confirm").click()

    await expect(reauth).to_be_hidden()
    await expect(page.get_by_role("button", name="Set up an authenticator app")).to_be_visible()
    assert proved_with_code
