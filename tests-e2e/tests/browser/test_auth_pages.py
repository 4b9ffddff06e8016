"""Sign-up, log-in, log-out and the way back after logging in, in a real Chromium."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, Route, expect

from .helpers import (
    PASSWORD,
    api_session,
    expect_dashboard,
    expect_login_page,
    log_in,
    sign_up,
    unique_email,
)


async def test_sign_up_lands_on_the_dashboard_showing_the_email(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)

    await expect(page.get_by_role("banner")).to_contain_text(email)
    await expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()


async def test_a_reload_keeps_the_session(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)

    await page.reload()

    await expect_dashboard(page, base_url, email)


async def test_log_out_returns_to_login_and_the_dashboard_then_sends_there(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)

    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect_login_page(page, base_url)

    await page.goto(f"{base_url}/")
    await expect(page).to_have_url(f"{base_url}/login?next=%2F")
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()


async def test_a_visitor_logs_in_and_comes_back_to_the_page_they_asked_for(
    page: Page, base_url: str
) -> None:
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()

    await page.goto(f"{base_url}/?view=notes#notes")
    await expect(page).to_have_url(f"{base_url}/login?next={quote('/?view=notes#notes', safe='')}")
    await log_in(page, email)

    await expect(page).to_have_url(f"{base_url}/?view=notes#notes")
    await expect(page.locator("#identity-email")).to_have_text(email)


HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil",  # decodes to //evil
    "/%09/evil.example",  # a tab, which URL parsers drop: //evil.example
    "%5C%5Cevil.example",  # decodes to \\evil.example
]


@pytest.mark.parametrize("next_value", HOSTILE_NEXT)
async def test_a_hostile_next_never_leaves_the_origin(
    page: Page, base_url: str, next_value: str
) -> None:
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()
    # As an attacker's link would carry it: the raw query string, not re-encoded by us.
    await page.goto(f"{base_url}/login?next={next_value}")

    await log_in(page, email)

    await expect_dashboard(page, base_url, email)


async def test_next_paths_are_filtered_to_this_origin(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/login")
    cases = {
        "/": "/",
        "/?view=notes": "/?view=notes",
        "/notes/42#top": "/notes/42#top",
        "/a/../b": "/b",
        "": "/",
        "notes": "/",
        "//evil.example": "/",
        "///evil.example": "/",
        "/\\evil.example": "/",
        "\\\\evil.example": "/",
        "/\t/evil.example": "/",
        "/\n/evil.example": "/",
        "https://evil.example/": "/",
        "http:/evil.example": "/",
        "javascript:alert(1)": "/",
        " /notes": "/",
        "\x00/notes": "/",
    }
    results = await page.evaluate(
        """async (values) => {
            const { safeNextPath } = await import("/js/lib/next.js");
            return values.map((value) => safeNextPath(value));
        }""",
        list(cases),
    )
    assert dict(zip(cases, results, strict=True)) == cases


async def test_wrong_password_is_reported_on_the_form(page: Page, base_url: str) -> None:
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()
    await page.goto(f"{base_url}/login")

    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill("not the password at all")
    await page.get_by_role("button", name="Log in").click()

    await expect(page.get_by_role("alert")).to_contain_text("don't match")
    await expect(page).to_have_url(f"{base_url}/login")
    await expect(page.get_by_role("button", name="Log in")).to_be_enabled()


async def test_a_taken_email_is_reported_next_to_the_email_field(page: Page, base_url: str) -> None:
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()
    await page.goto(f"{base_url}/signup")

    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()

    email_input = page.get_by_label("Email")
    await expect(email_input).to_have_attribute("aria-invalid", "true")
    await expect(email_input).to_have_accessible_description(re.compile("already exists"))
    await expect(email_input).to_be_focused()


async def test_a_weak_password_is_refused_next_to_the_password_field(
    page: Page, base_url: str
) -> None:
    await page.goto(f"{base_url}/signup")

    await page.get_by_label("Email").fill(unique_email())
    # Long enough for the form, but one of the most common passwords: the server says no.
    await page.get_by_label("Password", exact=True).fill("password123")
    await page.get_by_role("button", name="Sign up").click()

    password = page.get_by_label("Password", exact=True)
    await expect(password).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#password-error")).not_to_be_empty()
    await expect(page).to_have_url(f"{base_url}/signup")


async def test_the_forms_work_from_the_keyboard_alone(page: Page, base_url: str) -> None:
    email = unique_email()
    await page.goto(f"{base_url}/signup")

    # The email field has the focus on arrival; Tab moves to the password; Enter submits.
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")

    await expect_dashboard(page, base_url, email)


async def test_a_logged_in_user_who_opens_the_login_page_goes_to_the_dashboard(
    context: BrowserContext, base_url: str
) -> None:
    page = await context.new_page()
    email = await sign_up(page, base_url)

    await page.goto(f"{base_url}/login")

    await expect_dashboard(page, base_url, email)


async def test_the_pages_run_under_the_gateways_content_security_policy(
    page: Page, base_url: str
) -> None:
    violations: list[str] = []

    def note_violation(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", note_violation)
    policies = {}
    for path in ("/login", "/signup", "/"):
        response = await page.goto(f"{base_url}{path}")
        assert response is not None
        policies[path] = response.headers.get("content-security-policy", "")
    # "/" sends a visitor without a session on to /login: let that navigation finish, or it
    # can overtake the next one.
    await page.wait_for_url(f"{base_url}/login?next=%2F")

    await sign_up(page, base_url)
    await page.get_by_role("form", name="New note").get_by_label("Title").fill("Under CSP")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.get_by_role("heading", name="Under CSP")).to_be_visible()

    for path, policy in policies.items():
        assert "script-src 'self'" in policy, (path, policy)
        assert "unsafe-inline" not in policy, (path, policy)
    assert violations == []


async def test_the_form_is_busy_while_the_request_runs(page: Page, base_url: str) -> None:
    email = unique_email()
    await (await api_session(base_url, email, "pytest", new=True)).aclose()
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/api/auth/login", hold)
    await page.goto(f"{base_url}/login")
    await log_in(page, email)

    button = page.get_by_role("button", name="Log in")
    await expect(button).to_be_disabled()
    await expect(page.locator("#auth-form")).to_have_attribute("aria-busy", "true")
    release.set()
    await expect_dashboard(page, base_url, email)


async def test_a_form_sent_before_its_script_runs_never_puts_the_password_in_a_url(
    page: Page, base_url: str
) -> None:
    """Until the page's module has taken the form over (slow network, a blocked script), the
    browser submits it itself: by POST, so the password never lands in the address bar, the
    history or an access log."""

    async def no_script(route: Route) -> None:
        await route.abort()

    await page.route("**/*.js", no_script)
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Email").fill("someone@example.com")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    async with page.expect_request(lambda r: r.resource_type == "document") as sent:
        await page.get_by_role("button", name="Log in").click()

    request = await sent.value
    assert request.method == "POST"
    assert PASSWORD not in request.url and "password" not in request.url
    await page.wait_for_load_state()
    assert PASSWORD not in page.url


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.methods: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.methods.append(dict(attrs).get("method"))


@pytest.mark.parametrize("html", sorted(Path(__file__).parents[3].joinpath("web").glob("*.html")))
def test_every_form_of_the_web_app_says_post(html: Path) -> None:
    forms = _Forms()
    forms.feed(html.read_text())
    assert all(method == "post" for method in forms.methods), f"{html.name}: {forms.methods}"
