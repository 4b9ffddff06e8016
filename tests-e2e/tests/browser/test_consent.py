"""An application's sign-in through the web pages: from the application on another site
(http://127.0.0.1:<port>) to /authorize, the log-in, /consent and back with a code, or an
error when the person denies. The auth service's OpenID Provider endpoints are
tests_e2e.fake_provider's; the log-in, the session and its SameSite=Strict refresh cookie
are the real stack's."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import BrowserContext, Page, expect
from tests_e2e.fake_provider import REQUEST_ID, FakeProvider, RelyingParty

from .helpers import PASSWORD, api_session, sign_up, unique_email
from .oidc_helpers import HOSTILE_NAME, consent


@pytest.fixture
async def rp(base_url: str) -> AsyncIterator[RelyingParty]:
    with RelyingParty(base_url) as app:
        assert urlsplit(app.url).hostname != urlsplit(base_url).hostname  # another site
        yield app


async def _provider(
    context: BrowserContext, base_url: str, rp: RelyingParty, **options: Any
) -> FakeProvider:
    fake = FakeProvider(base_url, rp, **options)
    await fake.install(context)
    return fake


async def _callback_query(page: Page, rp: RelyingParty) -> dict[str, list[str]]:
    await expect(page).to_have_url(re.compile(rf"^{re.escape(rp.url)}/callback\?"))
    shown: dict[str, list[str]] = json.loads(await page.locator("#query").text_content() or "{}")
    return shown


def _decisions(fake: FakeProvider) -> list[str | None]:
    """Whose valid token came with each decision request (None: none)."""
    decision = f"/authorize/{REQUEST_ID}"
    return [c.email for c in fake.calls if c.method == "POST" and c.path == decision]


async def test_without_a_session_the_person_logs_in_allows_and_the_app_gets_a_code(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()
    fake = await _provider(page.context, base_url, rp, login_hint=email)

    await page.goto(rp.url)
    await page.get_by_role("link", name="Sign in with Gatehouse").click()
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/login\?"))
    next_path = parse_qs(urlsplit(page.url).query)["next"][0]
    assert next_path == f"/authorize?request={REQUEST_ID}"
    await expect(page.get_by_label("Email")).to_have_value(email)  # login_hint
    await expect(page.get_by_label("Password", exact=True)).to_be_focused()
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()

    await expect(page).to_have_url(f"{base_url}/consent?request={REQUEST_ID}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Allow Photo Book?")
    scopes = page.locator("#consent-scopes li")
    await expect(scopes).to_have_text(
        ["Know who you are", "See your email address", "Stay connected while you're away"]
    )
    await expect(page.locator("#consent-email")).to_have_text(f"({email})")
    await page.get_by_role("button", name="Allow").click()

    query = await _callback_query(page, rp)
    assert query["code"] == ["c0de"] and query["state"] == ["st4te"]
    assert query["iss"] == [f"{base_url}/api/auth"]
    assert _decisions(fake) == [None, email]  # no session at first, then the new one's token
    [answer] = [c for c in fake.calls if c.path.endswith("/consent")]
    assert answer.email == email and answer.body == {"allow": True}


async def test_a_session_restores_after_the_cross_site_bounce_and_deny_returns_access_denied(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    email = await sign_up(page, base_url)
    fake = await _provider(page.context, base_url, rp)
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))

    await page.goto(rp.url)
    await page.get_by_role("link", name="Sign in with Gatehouse").click()
    await expect(page).to_have_url(f"{base_url}/consent?request={REQUEST_ID}")
    # The first decision already carried the session's token: /authorize restored it from
    # the SameSite=Strict cookie although another site started the navigation.
    assert _decisions(fake) == [email]
    assert not any("/login" in url for url in visited)
    await page.get_by_role("button", name="Deny").click()

    query = await _callback_query(page, rp)
    assert query["error"] == ["access_denied"] and query["state"] == ["st4te"]
    [answer] = [c for c in fake.calls if c.path.endswith("/consent")]
    assert answer.body == {"allow": False}


async def test_a_fresh_log_in_shows_the_form_even_with_a_session(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    email = await sign_up(page, base_url)
    fake = await _provider(page.context, base_url, rp, fresh=True, login_hint=email)

    await page.goto(rp.url)
    await page.get_by_role("link", name="Sign in with Gatehouse").click()
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/login\?.*fresh=1"))
    notice = page.locator("#auth-notice")
    await expect(notice).to_have_text("The application asks you to log in again.")
    await page.wait_for_timeout(1000)  # the session is there, and still the form stays
    await expect(page).to_have_url(re.compile(r"/login\?"))
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()

    await expect(page).to_have_url(f"{base_url}/consent?request={REQUEST_ID}")
    assert _decisions(fake) == [email, email]  # the first with the old log-in, refused


async def test_the_application_name_is_shown_as_text_never_as_markup(
    page: Page, base_url: str
) -> None:
    await consent(page, base_url, HOSTILE_NAME)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Allow {HOSTILE_NAME}?")
    await expect(page.locator("#consent-app")).to_have_text(HOSTILE_NAME)
    assert await page.locator("main b, main img").count() == 0
    assert await page.title() == f"Allow {HOSTILE_NAME} · Gatehouse"


@pytest.mark.parametrize("path", ["/authorize", "/consent"])
async def test_an_unknown_or_missing_request_says_to_start_again_from_the_application(
    page: Page, base_url: str, rp: RelyingParty, path: str
) -> None:
    await sign_up(page, base_url)
    await _provider(page.context, base_url, rp)
    for query in (f"?request={'x' * 43}", ""):
        await page.goto(f"{base_url}{path}{query}")
        outcome = page.locator("#request-unknown")
        await expect(outcome).to_be_visible()
        await expect(outcome).to_contain_text("Go back to the application and sign in again.")
        if path == "/consent":
            await expect(page.locator("#consent-form")).to_be_hidden()
        await expect(page.locator("#page-status")).to_be_hidden()
