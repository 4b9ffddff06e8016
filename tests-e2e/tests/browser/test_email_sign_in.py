"""Sign-in by a mailed code or link in Chromium, the mail read from the stack's catcher
(real SMTP): a mail scanner's HEAD and GET of the link spend nothing, the code works in
another browser, a second factor is still asked, and the request answers alike (status,
body, about the time) for an email without an account."""

from __future__ import annotations

import statistics
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Page, Route, expect
from tests_e2e.mail import await_sign_in_mail, mail_count
from tests_e2e.oidc import claims_of as jwt_claims
from tests_e2e.stacks import RunningStack

from .conftest import NewContext
from .helpers import PASSWORD, expect_dashboard, sign_up, unique_email
from .mfa_helpers import log_out_to_login, set_up_authenticator_app


def at(base_url: str, link: str) -> str:
    parts = urlsplit(link)
    return f"{base_url}{parts.path}#{parts.fragment}"


async def capture_tokens(page: Page, path: str) -> list[dict[str, Any]]:
    """The JSON answers of `path` that the page receives (read before it navigates on)."""
    answers: list[dict[str, Any]] = []

    async def keep(route: Route) -> None:
        response = await route.fetch()
        if response.ok:
            answers.append(await response.json())
        await route.fulfill(response=response)

    await page.route(f"**{path}", keep)
    return answers


async def ask_for_a_code(page: Page, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_role("link", name="Email me a sign-in code").click()
    await expect(page).to_have_url(f"{base_url}/login-email")
    await expect(page.locator("#email-form")).to_have_attribute("data-ready", "true")
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send sign-in code").click()
    await expect(page.get_by_label("Sign-in code")).to_be_focused()


async def test_the_code_typed_in_the_page_signs_in_with_amr_email(
    new_context: NewContext, base_url: str, stack: RunningStack
) -> None:
    email = await sign_up(await (await new_context()).new_page(), base_url)
    page = await (await new_context()).new_page()
    before = mail_count(stack.settings.mail_url, email)
    await ask_for_a_code(page, base_url, email)
    await expect(page.locator("#code-sent")).to_contain_text(email)
    _, code = await await_sign_in_mail(stack.settings.mail_url, email, after=before)

    await page.get_by_label("Sign-in code").fill("000000" if code != "000000" else "111111")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#code-error")).to_contain_text("not right")
    answers = await capture_tokens(page, "/api/auth/login/email/verify")
    await page.get_by_label("Sign-in code").fill(code)
    await page.get_by_role("button", name="Sign in").click()
    await expect_dashboard(page, base_url, email)
    assert jwt_claims(answers[-1]["access_token"])["amr"] == ["email"]


async def test_a_scanners_head_and_get_of_the_link_leave_it_working(
    new_context: NewContext, base_url: str, stack: RunningStack
) -> None:
    email = await sign_up(await (await new_context()).new_page(), base_url)
    before = mail_count(stack.settings.mail_url, email)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        assert (await api.post("/api/auth/login/email", json={"email": email})).status_code == 202
    link, _ = await await_sign_in_mail(stack.settings.mail_url, email, after=before)

    # A mail scanner: no cookies, several fetches, with and without the fragment.
    for _ in range(3):
        async with httpx.AsyncClient(timeout=10, follow_redirects=True) as scanner:
            assert (await scanner.head(at(base_url, link))).status_code == 200
            page_text = (await scanner.get(at(base_url, link))).text
            assert "Sign in" in page_text
            assert (await scanner.get(f"{base_url}{urlsplit(link).path}")).status_code == 200

    page = await (await new_context()).new_page()
    await page.goto(at(base_url, link))
    await expect(page).to_have_url(f"{base_url}/login-link")  # the token left the URL
    await page.get_by_role("button", name="Sign in").click()
    await expect_dashboard(page, base_url, email)


async def test_the_code_works_in_another_browser_than_the_one_that_asked(
    new_context: NewContext, base_url: str, stack: RunningStack
) -> None:
    email = await sign_up(await (await new_context()).new_page(), base_url)
    asking = await (await new_context()).new_page()
    before = mail_count(stack.settings.mail_url, email)
    await ask_for_a_code(asking, base_url, email)
    _, code = await await_sign_in_mail(stack.settings.mail_url, email, after=before)

    other = await new_context()
    answer = await other.request.post(
        f"{base_url}/api/auth/login/email/verify", data={"email": email, "code": code}
    )
    assert answer.status == 200, await answer.text()
    page = await other.new_page()
    await page.goto(f"{base_url}/")
    await expect_dashboard(page, base_url, email)  # its refresh cookie opened the session
    await asking.get_by_label("Sign-in code").fill(code)
    await asking.get_by_role("button", name="Sign in").click()
    await expect(asking.locator("#code-error")).to_contain_text("not valid any more")


async def test_a_second_factor_is_still_asked_after_the_link(
    page: Page, new_context: NewContext, base_url: str, stack: RunningStack
) -> None:
    email = await sign_up(page, base_url)
    totp, _ = await set_up_authenticator_app(page, base_url)
    await log_out_to_login(page, base_url)
    before = mail_count(stack.settings.mail_url, email)
    await ask_for_a_code(page, base_url, email)
    link, _ = await await_sign_in_mail(stack.settings.mail_url, email, after=before)

    other = await (await new_context()).new_page()
    await other.goto(at(base_url, link))
    await other.get_by_role("button", name="Sign in").click()
    code_field = other.get_by_label("Authentication code")
    await expect(code_field).to_be_focused()
    answers = await capture_tokens(other, "/api/auth/login/mfa")
    await code_field.fill(totp.at(time.time() + 30))
    await other.get_by_role("button", name="Verify").click()
    await expect_dashboard(other, base_url, email)
    claims = jwt_claims(answers[-1]["access_token"])
    assert claims["amr"] == ["email", "otp", "mfa"]


async def test_the_request_answers_alike_for_an_email_without_an_account(base_url: str) -> None:
    rounds = 12
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: dict[str, set[tuple[int, bytes]]] = {"known": set(), "unknown": set()}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        known = [unique_email("known") for _ in range(rounds)]
        for email in known:
            made = await api.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
            assert made.status_code == 201, made.text
        api.cookies.clear()
        # Each address asked once (a second ask inside the cooldown is cheaper, for both).
        for email in known:
            for kind, address in (("known", email), ("unknown", unique_email("nobody"))):
                started = time.perf_counter()
                answer = await api.post("/api/auth/login/email", json={"email": address})
                timings[kind].append((time.perf_counter() - started) * 1000)
                answers[kind].add((answer.status_code, answer.content))
                assert "set-cookie" not in answer.headers
    assert answers["known"] == answers["unknown"] == {(202, b'{"status":"accepted"}')}
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    print(
        f"POST /login/email median ms: known {medians['known']:.1f}, "
        f"unknown {medians['unknown']:.1f} ({rounds} each, through the gateway)"
    )
