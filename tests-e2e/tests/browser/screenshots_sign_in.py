"""`make screenshot`'s states of an application's sign-in (screenshots.py calls
`sign_in_pages`): the bounce, the consent page, "Connected apps" and its confirmation, the
log-out question and its answer. The auth service's side is tests_e2e.fake_provider's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, Route, expect
from tests_e2e.fake_provider import REQUEST_ID, SAMPLE_GRANTS, FakeProvider, RelyingParty

Shoot = Callable[..., Awaitable[None]]


async def sign_in_pages(page: Page, base_url: str, shoot: Shoot, every: Any) -> None:
    """Shoots each state with the signed-in user of `page`; logs them out at the end.
    `every`: the variants the main pages get (light and dark, wide and narrow)."""
    fake = FakeProvider(
        base_url, RelyingParty.not_listening(base_url), grants=[dict(g) for g in SAMPLE_GRANTS]
    )
    await fake.install(page.context)

    async def pending(route: Route) -> None:
        pass  # unanswered: the page stays on "Signing you in…"

    decision = f"**/api/auth/oauth/authorize/{REQUEST_ID}"
    await page.route(decision, pending)
    await page.goto(f"{base_url}/authorize?request={REQUEST_ID}")
    await expect(page.locator("#page-status")).to_be_visible()
    await shoot(page, "authorize")
    await page.unroute(decision)

    await page.goto(f"{base_url}/consent?request={REQUEST_ID}")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await shoot(page, "consent", every)

    await page.goto(f"{base_url}/settings")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#app-list > li")).to_have_count(len(SAMPLE_GRANTS))
    await shoot(page, "settings-connected-apps")
    await page.get_by_role("button", name="Remove access of Photo Book").click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()
    await shoot(page, "settings-confirm-remove-access", full_page=False)
    await page.keyboard.press("Escape")

    await page.goto(f"{base_url}/end-session?request={REQUEST_ID}")
    await expect(page.locator("#logout-form")).to_have_attribute("data-ready", "true")
    await shoot(page, "end-session")
    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator("#logged-out")).to_be_visible()
    await shoot(page, "end-session-done")
    await page.context.unroute_all()
