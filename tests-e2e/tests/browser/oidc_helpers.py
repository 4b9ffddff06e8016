"""The pages of an application's sign-in in each state a person meets them in, for the
accessibility and narrow-screen tests (and the page tests): /authorize, /consent,
/end-session and the settings page's "Connected apps", against the real stack's OpenID
Provider with applications registered through the admin API."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.async_api import Page, Route, expect
from tests_e2e.loopback_apps import authorize_url, grant_access, loopback_app

from .helpers import fresh_access_token, sign_up

# What a client may call itself: the page must show it as text, never as markup.
HOSTILE_NAME = 'Photo <b>Book</b> & Co <img src=x onerror="document.title=1">'
LONG_NAME = "Grafana (the team's dashboards, on the big screen in the hall)"


async def authorize_waiting(page: Page, base_url: str) -> None:
    """The bounce while the auth service has not answered yet: "Signing you in…"."""

    async def never(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
        # else the decision stays pending: the page shows its waiting state

    await page.route("**/api/auth/oauth/authorize/*", never)
    await page.goto(authorize_url(base_url, loopback_app(base_url)))
    await expect(page.get_by_role("heading", name="Signing you in…")).to_be_visible()
    await expect(page.locator("#page-status")).to_be_visible()


async def authorize_unknown(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/authorize?request={'x' * 43}")
    await expect(page.locator("#request-unknown")).to_be_visible()


async def consent(page: Page, base_url: str, name: str | None = None) -> dict[str, Any]:
    """A signed-up person at /consent for a new application; returns the application."""
    await sign_up(page, base_url)
    app = loopback_app(base_url, name)
    await page.goto(authorize_url(base_url, app))
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/consent\?request="))
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return app


async def consent_hostile_name(page: Page, base_url: str) -> None:
    await consent(page, base_url, HOSTILE_NAME)


async def end_session(page: Page, base_url: str) -> None:
    """An application's log-out without an id_token_hint: the question on /end-session."""
    await page.goto(f"{base_url}/api/auth/oauth/logout")
    await expect(page).to_have_url(f"{base_url}/end-session")
    await expect(page.locator("#logout-form")).to_have_attribute("data-ready", "true")


async def end_session_done(page: Page, base_url: str) -> None:
    await end_session(page, base_url)
    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator("#logged-out")).to_be_visible()


async def settings_with_connected_apps(page: Page, base_url: str) -> tuple[str, list[str]]:
    """A person who allowed two applications, on the settings page: their access token
    and the applications' names."""
    email = await sign_up(page, base_url)
    token = await fresh_access_token(base_url, email)
    names = [f"Photo Book {uuid.uuid4().hex[:6]}", f"{LONG_NAME} {uuid.uuid4().hex[:6]}"]
    for name in names:
        grant_access(base_url, token, loopback_app(base_url, name))
    await page.goto(f"{base_url}/settings")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#app-list > li")).to_have_count(len(names))
    return token, names


async def settings_confirming_remove_access(page: Page, base_url: str) -> None:
    _, names = await settings_with_connected_apps(page, base_url)
    await page.get_by_role("button", name=f"Remove access of {names[0]}").click()
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
