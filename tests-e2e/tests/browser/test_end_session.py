"""An application's log-out through the real stack's OpenID Provider: with the id_token as
hint, the session ends and the browser goes back to the application; without one,
/end-session asks first, and "Log out" ends the Gatehouse session, then goes back to
the application when it named itself and an address registered for it, else says "You
are logged out". And the settings page's "Connected apps": each app the person allowed, with
"Remove access" after a confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect
from tests_e2e.loopback_apps import grants_of
from tests_e2e.oidc import RelyingParty, relying_party
from tests_e2e.stacks import ARTIFACTS, RunningStack

from .helpers import REFRESH_PATH, confirm, sign_up
from .oidc_helpers import end_session, settings_with_connected_apps

REFRESH_STATUS = f"""async () => (await fetch("{REFRESH_PATH}", {{
  method: "POST", headers: {{"X-Requested-With": "fetch"}}, credentials: "same-origin",
}})).status"""


@pytest.fixture
def rp(stack: RunningStack) -> Iterator[RelyingParty]:
    with relying_party("authlib", stack.base_url, ARTIFACTS) as running:
        yield running


async def test_log_out_ends_the_session_and_goes_back_to_the_application(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    await sign_up(page, base_url)
    await page.goto(f"{rp.url}/login")
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/consent\?request="))
    await page.get_by_role("button", name="Allow").click()
    await expect(page).to_have_url(re.compile(rf"^{re.escape(rp.url)}/callback\?"))

    await page.goto(f"{rp.url}/logout")  # with the id_token as hint
    await expect(page).to_have_url(re.compile(rf"^{re.escape(rp.url)}/logged-out\?state="))
    await expect(page.locator("pre")).to_contain_text('"logged_out":true')
    await page.goto(f"{base_url}/login")
    assert await page.evaluate(REFRESH_STATUS) == 401  # the session is over


async def test_log_out_without_a_hint_asks_and_says_you_are_logged_out(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    await end_session(page, base_url)
    assert await page.evaluate(REFRESH_STATUS) == 200  # a session to end
    await expect(page.get_by_role("heading", name="Log out of Gatehouse?")).to_be_visible()
    await page.get_by_role("button", name="Log out").click()

    outcome = page.locator("#logged-out")
    await expect(outcome).to_be_visible()
    await expect(outcome).to_be_focused()
    await expect(outcome).to_contain_text("You are logged out.")
    await expect(page.locator("#logout-form")).to_be_hidden()
    await page.wait_for_timeout(500)  # no redirect follows: the server named no place to go
    assert page.url == f"{base_url}/end-session"
    assert await page.evaluate(REFRESH_STATUS) == 401


async def test_log_out_without_a_hint_goes_back_to_the_application_that_named_itself(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    await sign_up(page, base_url)
    await page.goto(f"{rp.url}/login")
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/consent\?request="))
    await page.get_by_role("button", name="Allow").click()
    await expect(page).to_have_url(re.compile(rf"^{re.escape(rp.url)}/callback\?"))

    await page.goto(f"{rp.url}/logout-without-hint")  # client_id and its registered address
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/end-session\?request="))
    await expect(page.locator("#logout-form")).to_have_attribute("data-ready", "true")
    assert await page.evaluate(REFRESH_STATUS) == 200  # asked first: nothing ended yet
    await page.get_by_role("button", name="Log out").click()

    # Authlib checked that the state is the one it sent.
    await expect(page).to_have_url(re.compile(rf"^{re.escape(rp.url)}/logged-out\?state="))
    await expect(page.locator("pre")).to_contain_text('"logged_out":true')
    await page.goto(f"{base_url}/login")
    assert await page.evaluate(REFRESH_STATUS) == 401  # the session is over


async def test_an_expired_log_out_request_still_logs_out_and_says_so(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    await page.goto(f"{base_url}/end-session?request={'x' * 43}")
    await expect(page.locator("#logout-form")).to_have_attribute("data-ready", "true")
    await page.get_by_role("button", name="Log out").click()

    outcome = page.locator("#logged-out")
    await expect(outcome).to_contain_text("You are logged out.")
    await expect(page.locator("#logged-out-reason")).to_have_text(
        "We couldn't send you back to the application: go back to it yourself."
    )
    assert await page.evaluate(REFRESH_STATUS) == 401


async def test_stay_logged_in_keeps_the_session(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    await end_session(page, base_url)
    await page.get_by_role("link", name="Stay logged in").click()
    await expect(page.locator("#identity-email")).to_have_text(email)
    assert await page.evaluate(REFRESH_STATUS) == 200


async def test_connected_apps_are_listed_and_remove_access_asks_first(
    page: Page, base_url: str
) -> None:
    token, names = await settings_with_connected_apps(page, base_url)
    assert sorted(g["name"] for g in grants_of(base_url, token)) == sorted(names)
    apps = page.locator("#app-list > li")
    photo_book = apps.filter(has_text=names[0])
    await expect(photo_book).to_have_count(1)
    await expect(photo_book.locator(".chip")).to_have_text(["openid", "email"])
    await expect(apps.filter(has_text=names[1])).to_have_count(1)

    remove = page.get_by_role("button", name=f"Remove access of {names[0]}")
    await remove.click()
    await expect(page.get_by_role("alertdialog")).to_contain_text(names[0])
    await page.keyboard.press("Escape")
    await expect(remove).to_be_focused()
    assert len(grants_of(base_url, token)) == 2  # nothing removed without the confirmation

    await remove.click()
    await confirm(page, "Remove access")
    await expect(apps).to_have_count(1)
    assert [g["name"] for g in grants_of(base_url, token)] == [names[1]]
    other = page.get_by_role("button", name=f"Remove access of {names[1]}")
    await expect(other).to_be_focused()

    await other.click()
    await confirm(page, "Remove access")
    await expect(page.locator("#apps-empty")).to_have_text("No apps are connected to your account.")
    assert grants_of(base_url, token) == []
    await page.reload()
    await expect(page.locator("#apps-empty")).to_be_visible()
