"""An application's sign-in through the web pages and the real stack's OpenID Provider: from
the application on another site (http://127.0.0.1:<port>) to /authorize, the log-in,
/consent and back with a code, or an error when the person denies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Page, expect
from tests_e2e.loopback_apps import authorize_url, grants_of, loopback_app
from tests_e2e.oidc import RelyingParty, issuer, relying_party
from tests_e2e.stacks import ARTIFACTS, RunningStack

from .helpers import PASSWORD, api_session, fresh_access_token, log_in, sign_up, unique_email
from .oidc_helpers import HOSTILE_NAME, consent

CONSENT = r"/consent\?request=[\w-]+$"


@pytest.fixture
def rp(stack: RunningStack) -> Iterator[RelyingParty]:
    """The Authlib application of tests-e2e/relying_parties/, registered at Gatehouse."""
    with relying_party("authlib", stack.base_url, ARTIFACTS) as running:
        assert urlsplit(running.url).hostname != urlsplit(stack.base_url).hostname
        yield running


async def callback_answer(page: Page, rp: RelyingParty) -> dict[str, Any]:
    """What the application made of the browser's return to its /callback."""
    await expect(page).to_have_url(re.compile(rf"^{re.escape(rp.url)}/callback\?"))
    answer: dict[str, Any] = json.loads(await page.locator("pre").first.inner_text())
    return answer


async def test_without_a_session_the_person_logs_in_allows_and_the_app_gets_a_code(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()

    await page.goto(f"{rp.url}/login")
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/login\?"))
    next_path = parse_qs(urlsplit(page.url).query)["next"][0]
    assert re.fullmatch(r"/authorize\?request=[\w-]+", next_path), next_path
    await log_in(page, email)  # once the script holds the form, else the browser posts it

    await expect(page).to_have_url(re.compile(re.escape(base_url) + CONSENT))
    name = rp.client["name"]
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Allow {name}?")
    await expect(page.locator("#consent-scopes li")).to_have_text(
        ["Sign you in with your Gatehouse account", "See your email address"]
    )
    await expect(page.locator("#consent-email")).to_have_text(f"({email})")
    await page.get_by_role("button", name="Allow").click()

    # Authlib exchanged the code and validated the id_token (iss, aud, nonce, signature).
    answer = await callback_answer(page, rp)
    assert "error" not in answer, answer
    assert answer["id_token"]["iss"] == issuer(base_url)
    assert answer["id_token"]["email"] == email and answer["userinfo"]["email"] == email


async def test_a_session_restores_after_the_cross_site_bounce_and_deny_returns_access_denied(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    email = await sign_up(page, base_url)
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))

    await page.goto(f"{rp.url}/login")
    # /authorize restored the session from the SameSite=Strict cookie although another
    # site started the navigation: straight to consent, no log-in form.
    await expect(page).to_have_url(re.compile(re.escape(base_url) + CONSENT))
    assert not any(urlsplit(url).path == "/login" for url in visited), visited
    await page.get_by_role("button", name="Deny").click()

    answer = await callback_answer(page, rp)
    assert answer["error"] == "access_denied", answer
    assert "error=access_denied" in urlsplit(page.url).query
    assert grants_of(base_url, await fresh_access_token(base_url, email)) == []


async def test_a_fresh_log_in_shows_the_form_even_with_a_session(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    app = loopback_app(base_url)

    await page.goto(authorize_url(base_url, app, prompt="login", login_hint=email))
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/login\?.*fresh=1"))
    notice = page.locator("#auth-notice")
    await expect(notice).to_have_text("The application asks you to log in again.")
    await expect(page.get_by_label("Email")).to_have_value(email)  # login_hint
    await page.wait_for_timeout(1000)  # the session is there, and still the form stays
    await expect(page).to_have_url(re.compile(r"/login\?"))
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()

    await expect(page).to_have_url(re.compile(re.escape(base_url) + CONSENT))
    await expect(page.locator("#consent-app")).to_have_text(app["name"])


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
    page: Page, base_url: str, path: str
) -> None:
    await sign_up(page, base_url)
    for query in (f"?request={'x' * 43}", ""):
        await page.goto(f"{base_url}{path}{query}")
        outcome = page.locator("#request-unknown")
        await expect(outcome).to_be_visible()
        await expect(outcome).to_contain_text("Go back to the application and sign in again.")
        if path == "/consent":
            await expect(page.locator("#consent-form")).to_be_hidden()
        await expect(page.locator("#page-status")).to_be_hidden()
