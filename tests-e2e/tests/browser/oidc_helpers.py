"""The pages of an application's sign-in in each state a person meets them in, for the
accessibility and narrow-screen tests (and the page tests): /authorize, /consent,
/end-session and the settings page's "Connected apps", against tests_e2e.fake_provider."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, Route, expect
from tests_e2e.fake_provider import REQUEST_ID, SAMPLE_GRANTS, FakeProvider, RelyingParty

from .helpers import sign_up

# What a client may call itself: the page must show it as text, never as markup.
HOSTILE_NAME = 'Photo <b>Book</b> & Co <img src=x onerror="document.title=1">'
GRANTS = SAMPLE_GRANTS


async def provider(page: Page, base_url: str, **options: Any) -> FakeProvider:
    """A FakeProvider on the page's browser context, for an application that is not
    listening (enough for a page that does not go back to it)."""
    fake = FakeProvider(base_url, RelyingParty.not_listening(base_url), **options)
    await fake.install(page.context)
    return fake


async def authorize_waiting(page: Page, base_url: str) -> None:
    """The bounce while the auth service has not answered yet: "Signing you in…"."""
    await provider(page, base_url)

    async def never(route: Route) -> None:
        pass  # the request stays pending: the page shows its waiting state

    await page.route(f"**/api/auth/oauth/authorize/{REQUEST_ID}", never)
    await page.goto(f"{base_url}/authorize?request={REQUEST_ID}")
    await expect(page.get_by_role("heading", name="Signing you in…")).to_be_visible()
    await expect(page.locator("#page-status")).to_be_visible()


async def authorize_unknown(page: Page, base_url: str) -> None:
    await provider(page, base_url)
    await page.goto(f"{base_url}/authorize?request={'x' * 43}")
    await expect(page.locator("#request-unknown")).to_be_visible()


async def consent(page: Page, base_url: str, name: str = "Photo Book") -> FakeProvider:
    await sign_up(page, base_url)
    fake = await provider(page, base_url, client_name=name)
    await page.goto(f"{base_url}/consent?request={REQUEST_ID}")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return fake


async def consent_hostile_name(page: Page, base_url: str) -> None:
    await consent(page, base_url, HOSTILE_NAME)


async def end_session(page: Page, base_url: str) -> None:
    await provider(page, base_url)
    await page.goto(f"{base_url}/end-session?request={REQUEST_ID}")
    await expect(page.locator("#logout-form")).to_have_attribute("data-ready", "true")


async def end_session_done(page: Page, base_url: str) -> None:
    await end_session(page, base_url)
    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator("#logged-out")).to_be_visible()


async def settings_with_connected_apps(page: Page, base_url: str) -> FakeProvider:
    await sign_up(page, base_url)
    fake = await provider(page, base_url, grants=[dict(g) for g in GRANTS])
    await page.goto(f"{base_url}/settings")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#app-list > li")).to_have_count(len(GRANTS))
    return fake


async def settings_confirming_remove_access(page: Page, base_url: str) -> None:
    await settings_with_connected_apps(page, base_url)
    await page.get_by_role("button", name="Remove access of Photo Book").click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()


STATES = {
    "authorize.html": {"authorize": authorize_waiting, "authorize-unknown": authorize_unknown},
    "consent.html": {"consent": consent, "consent-hostile-name": consent_hostile_name},
    "end-session.html": {"end-session": end_session, "end-session-done": end_session_done},
}
SETTINGS_STATES = {
    "settings-connected-apps": settings_with_connected_apps,
    "settings-confirm-remove-access": settings_confirming_remove_access,
}
