"""`make screenshot`'s states of an application's sign-in (screenshots.py calls
`sign_in_pages`): the bounce, the consent page, "Connected apps" and its confirmation, the
log-out question and its answer, against the stack's own OpenID Provider with applications
registered through the admin API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, Route, expect
from tests_e2e.loopback_apps import authorize_url, grant_access, loopback_app

Shoot = Callable[..., Awaitable[None]]

# The page's own session hands out an access token (the person has a second step: a
# log-in over HTTP would stop at it).
ACCESS_TOKEN = """async () => (await (await fetch("/api/auth/refresh", {
  method: "POST", headers: {"X-Requested-With": "fetch"}, credentials: "same-origin",
})).json()).access_token"""


async def sign_in_pages(page: Page, base_url: str, shoot: Shoot, every: Any) -> None:
    """Shoots each state with the signed-in user of `page`; logs them out at the end.
    `every`: the variants the main pages get (light and dark, wide and narrow)."""

    async def pending(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
        # else unanswered: the page stays on "Signing you in…"

    decision = "**/api/auth/oauth/authorize/*"
    await page.route(decision, pending)
    await page.goto(authorize_url(base_url, loopback_app(base_url, "Photo Book")))
    await expect(page.locator("#page-status")).to_be_visible()
    await shoot(page, "authorize")
    await page.unroute(decision)

    await page.goto(authorize_url(base_url, loopback_app(base_url, "Photo Book")))
    await expect(page.locator("#consent-form")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await shoot(page, "consent", every)

    token = await page.evaluate(ACCESS_TOKEN)
    for name in ("Photo Book", "Grafana (the team's dashboards, on the big screen in the hall)"):
        grant_access(base_url, token, loopback_app(base_url, name))
    await page.goto(f"{base_url}/settings")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#app-list > li")).to_have_count(2)
    await shoot(page, "settings-connected-apps")
    await page.get_by_role("button", name="Remove access of Photo Book").click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()
    await shoot(page, "settings-confirm-remove-access", full_page=False)
    await page.keyboard.press("Escape")

    await page.goto(f"{base_url}/api/auth/oauth/logout")
    await expect(page.locator("#logout-form")).to_have_attribute("data-ready", "true")
    await shoot(page, "end-session")
    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator("#logged-out")).to_be_visible()
    await shoot(page, "end-session-done")
