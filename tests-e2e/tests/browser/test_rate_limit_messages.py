"""An API's 429 reads the same on every form: "Too many attempts", and how long to wait when
the answer's `Retry-After` says it, never the form's own message for a wrong password."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, Route, expect

from .helpers import sign_up

PROBLEM = {"status": 429, "code": "rate_limited", "title": "Too many failed attempts"}


def _limited(retry_after: str | None) -> Callable[[Route], Awaitable[None]]:
    async def answer(route: Route) -> None:
        headers = {"Retry-After": retry_after} if retry_after else {}
        await route.fulfill(
            status=429,
            headers=headers,
            content_type="application/problem+json",
            body=json.dumps(PROBLEM),
        )

    return answer


async def test_a_limited_log_in_says_how_long_to_wait(page: Page, base_url: str) -> None:
    await page.route("**/api/auth/login", _limited("120"))
    await page.goto(f"{base_url}/login")
    await expect(page.locator("#auth-form")).to_have_attribute("data-ready", "true")
    await page.get_by_label("Email").fill("someone@example.com")
    await page.get_by_label("Password", exact=True).fill("whatever it is")
    await page.get_by_role("button", name="Log in").click()

    alert = page.locator("#auth-form .form-error")
    await expect(alert).to_have_text("Too many attempts. Try again in 2 minutes.")
    await expect(page.locator("#password-error")).to_be_empty()


async def test_a_limited_reset_request_without_retry_after_asks_to_wait_a_moment(
    page: Page, base_url: str
) -> None:
    await page.route("**/api/auth/password/forgot", _limited(None))
    await page.goto(f"{base_url}/forgot-password")
    await page.get_by_label("Email").fill("someone@example.com")
    await page.get_by_role("button", name="Send reset link").click()

    alert = page.locator("#forgot-form .form-error")
    await expect(alert).to_have_text("Too many attempts. Please wait a moment and try again.")
    await expect(page.locator("#request-sent")).to_be_hidden()


async def test_a_limited_password_change_says_so_instead_of_wrong_password(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    await page.goto(f"{base_url}/settings")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await page.route("**/api/auth/password", _limited("5"))
    await page.get_by_label("Current password").fill("not it at all")
    await page.get_by_label("New password", exact=True).fill("a new one, long enough")
    await page.get_by_role("button", name="Change password").click()

    alert = page.locator("#password-form .form-error")
    await expect(alert).to_have_text("Too many attempts. Try again in 5 seconds.")
    await expect(page.locator("#current_password-error")).to_be_empty()
