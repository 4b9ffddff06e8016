"""An application's log-out without a valid id_token_hint lands on /end-session, which
asks first; "Log out" ends the Gatehouse session and goes where the auth service says (the
application's post-logout page), or says "You are logged out". And the settings page's
"Connected apps": each app the person allowed, with "Remove access" after a confirmation."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect
from tests_e2e.fake_provider import REQUEST_ID, FakeProvider, RelyingParty

from .helpers import REFRESH_PATH, confirm, sign_up
from .oidc_helpers import GRANTS, settings_with_connected_apps

REFRESH_STATUS = f"""async () => (await fetch("{REFRESH_PATH}", {{
  method: "POST", headers: {{"X-Requested-With": "fetch"}}, credentials: "same-origin",
}})).status"""


async def test_log_out_ends_the_session_and_goes_back_to_the_application(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    with RelyingParty(base_url) as rp:
        fake = FakeProvider(base_url, rp, post_logout_url=f"{rp.url}/logged-out?state=bye")
        await fake.install(page.context)
        await page.goto(f"{base_url}/end-session?request={REQUEST_ID}")
        await expect(page.get_by_role("heading", name="Log out of Gatehouse?")).to_be_visible()
        await page.get_by_role("button", name="Log out").click()
        await expect(page).to_have_url(f"{rp.url}/logged-out?state=bye")

    assert fake.paths("POST") == [f"/logout/{REQUEST_ID}"]
    await page.goto(f"{base_url}/login")
    assert await page.evaluate(REFRESH_STATUS) == 401  # the session is over


async def test_log_out_without_a_place_to_go_says_you_are_logged_out(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    fake = FakeProvider(base_url, RelyingParty.not_listening(base_url))
    await fake.install(page.context)
    await page.goto(f"{base_url}/end-session?request={REQUEST_ID}")
    await page.get_by_role("button", name="Log out").click()

    outcome = page.locator("#logged-out")
    await expect(outcome).to_be_visible()
    await expect(outcome).to_be_focused()
    await expect(outcome).to_contain_text("You are logged out.")
    await expect(page.locator("#logout-form")).to_be_hidden()
    assert await page.evaluate(REFRESH_STATUS) == 401


async def test_stay_logged_in_keeps_the_session(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    await page.goto(f"{base_url}/end-session?request={REQUEST_ID}")
    await page.get_by_role("link", name="Stay logged in").click()
    await expect(page.locator("#identity-email")).to_have_text(email)


async def test_connected_apps_are_listed_and_remove_access_asks_first(
    page: Page, base_url: str
) -> None:
    fake = await settings_with_connected_apps(page, base_url)
    apps = page.locator("#app-list > li")
    await expect(apps.first).to_contain_text("Photo Book")
    await expect(apps.first.locator(".chip")).to_have_text(["openid", "email", "offline_access"])
    await expect(apps.nth(1)).to_contain_text(str(GRANTS[1]["name"]))

    remove = page.get_by_role("button", name="Remove access of Photo Book")
    await remove.click()
    await expect(page.get_by_role("alertdialog")).to_contain_text("Photo Book")
    await page.keyboard.press("Escape")
    await expect(remove).to_be_focused()
    assert fake.paths("DELETE") == []

    await remove.click()
    await confirm(page, "Remove access")
    await expect(apps).to_have_count(1)
    assert fake.paths("DELETE") == ["/grants/photo-book"]
    grafana = page.get_by_role("button", name=re.compile("^Remove access of Grafana"))
    await expect(grafana).to_be_focused()

    await grafana.click()
    await confirm(page, "Remove access")
    await expect(page.locator("#apps-empty")).to_have_text("No apps are connected to your account.")
    await page.reload()
    await expect(page.locator("#apps-empty")).to_be_visible()
