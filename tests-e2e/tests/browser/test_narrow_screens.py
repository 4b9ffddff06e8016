"""No page scrolls sideways on a phone: every state of every page (those the axe test
visits, and a few fuller ones), at 390 x 844 CSS pixels, in the light and the dark colour
scheme, is no wider than the screen, and no element reaches past its right edge."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from .conftest import NewContext
from .helpers import api_session, sign_up, virtual_authenticator
from .mfa_helpers import add_passkey, set_up_authenticator_app
from .test_accessibility import STATES, Visit

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Work laptop (the big one on the left-hand desk by the window)"
PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)

# Elements whose right edge passes the viewport's, with what they are (tag#id.class "text").
OVERFLOWING = """(width) => {
  const limit = width + 0.5;
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= limit) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || style.position === "fixed" && box.left >= limit) continue;
    const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
      + (element.classList.length ? "." + [...element.classList].join(".") : "");
    const text = (element.textContent || "").trim().slice(0, 40);
    found.push(`${name} right=${Math.round(box.right)} "${text}"`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, found: found.slice(0, 12)};
}"""


async def _settings_with_everything(page: Page, base_url: str) -> None:
    """/settings with the authenticator app on and two passkeys listed, one long-named."""
    await virtual_authenticator(page)
    await sign_up(page, base_url)
    await add_passkey(page, base_url, LONG_NAME)
    # Turning the app on asks for the passkey (a factor is on): proved here, the session
    # may add the next passkey on an authenticator of its own without being asked again.
    await set_up_authenticator_app(page, base_url)
    await virtual_authenticator(page, transport="usb")  # the first holds a passkey already
    await add_passkey(page, base_url, "Phone")
    await page.reload()
    await expect(page.locator("#passkey-list li")).to_have_count(2)
    await expect(page.get_by_role("button", name="Turn off")).to_be_visible()


async def _dashboard_with_everything(page: Page, base_url: str) -> None:
    """The dashboard with long notes and sessions on other devices."""
    email = await sign_up(page, base_url)
    for agent in (PHONE_AGENT, "curl/8.11.1"):
        await (await api_session(base_url, email, agent)).aclose()
    form = page.get_by_role("form", name="New note")
    await form.get_by_label("Title").fill("A rather long note title that has to wrap somewhere")
    await form.get_by_label("Body").fill("https://example.com/" + "a-very-long-path/" * 8)
    await form.get_by_role("button", name="Add note").click()
    await expect(page.locator("#note-list > li")).to_have_count(1)
    await page.reload()
    await expect(page.locator("#session-list > li")).to_have_count(3)


FULLER: dict[str, Visit] = {
    "settings-totp-and-passkeys": _settings_with_everything,
    "dashboard-notes-and-sessions": _dashboard_with_everything,
}
VISITS = {name: visit for states in STATES.values() for name, visit in states.items()} | FULLER


async def _overflow(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(OVERFLOWING, PHONE["width"])
    return result


@pytest.mark.parametrize("visit", list(VISITS.values()), ids=list(VISITS))
async def test_the_page_fits_a_390_px_screen_in_light_and_dark(
    new_context: NewContext, base_url: str, visit: Visit
) -> None:
    context = await new_context(viewport=PHONE)
    page = await context.new_page()
    await visit(page, base_url)

    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        measured = await _overflow(page)
        assert measured["scrollWidth"] <= PHONE["width"], (scheme, measured)
        assert measured["found"] == [], (scheme, measured)
