"""While the stack starts, the gateway serves the pages but answers the APIs 502/503/504
("no available server"): the page says Gatehouse is starting and carries on by itself once
they answer. A real network fault still says that Gatehouse cannot be reached."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Page, Route, expect

from .helpers import PASSWORD, expect_dashboard, sign_up, unique_email

STARTING = "Gatehouse is starting"
UNREACHABLE = "We can't reach Gatehouse"
STARTUP_SECONDS = 4
# What Traefik says while no server behind a router is healthy yet.
NO_SERVER = {"content_type": "text/plain", "body": "no available server"}


async def _starting_for_a_while(page: Page, pattern: str, status: int) -> None:
    """From now on, calls matching `pattern` get the gateway's answer of a stack still
    starting, for STARTUP_SECONDS; then they go through."""
    until = time.monotonic() + STARTUP_SECONDS

    async def gateway(route: Route) -> None:
        if time.monotonic() < until:
            await route.fulfill(
                status=status, content_type="text/plain", body="no available server"
            )
        else:
            await route.continue_()

    await page.route(pattern, gateway)


@pytest.mark.parametrize(
    ("pattern", "status"),
    [("**/api/**", 503), ("**/api/resource/**", 502), ("**/api/auth/**", 504)],
    ids=["every-api-503", "resource-api-502", "auth-api-504"],
)
async def test_the_dashboard_says_gatehouse_is_starting_then_carries_on(
    page: Page, base_url: str, pattern: str, status: int
) -> None:
    email = await sign_up(page, base_url)
    await _starting_for_a_while(page, pattern, status)
    await page.reload()

    await expect(page.get_by_role("status").filter(has_text=STARTING)).to_be_visible()
    await expect(page.get_by_text(UNREACHABLE)).to_have_count(0)
    await expect_dashboard(page, base_url, email)
    await expect(page.get_by_text(STARTING)).to_be_hidden()


async def test_the_settings_page_says_gatehouse_is_starting_then_carries_on(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    await _starting_for_a_while(page, "**/api/**", 503)
    await page.goto(f"{base_url}/settings")

    await expect(page.get_by_role("status").filter(has_text=STARTING)).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.get_by_role("heading", name="Change password")).to_be_visible()


async def test_a_network_fault_still_says_gatehouse_cannot_be_reached(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    await page.route("**/api/**", lambda route: route.abort("internetdisconnected"))
    await page.reload()

    await expect(page.get_by_role("alert")).to_contain_text(UNREACHABLE)
    await expect(page.get_by_text(STARTING)).to_have_count(0)


async def test_logging_in_while_the_stack_starts_says_so(page: Page, base_url: str) -> None:
    email = unique_email()
    await page.goto(f"{base_url}/signup")
    await page.route(
        "**/api/auth/signup",
        lambda route: route.fulfill(
            status=503, content_type="text/plain", body="no available server"
        ),
    )
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()

    await expect(page.get_by_role("alert")).to_contain_text("Gatehouse is starting or busy")
