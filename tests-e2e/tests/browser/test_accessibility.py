"""Every page of the web app, in every state a person meets it in, passes axe-core's
WCAG 2.1 A and AA rules, in the light and the dark colour scheme, and has exactly one
`<h1>`. A page added to web/ without being listed here fails the first test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from .conftest import NewContext
from .helpers import (
    PASSWORD,
    sign_up,
    unique_email,
    verify_email_of_settings_page,
    virtual_authenticator,
)
from .mfa_helpers import (
    log_in_to_second_step,
    log_in_to_second_step_with_a_passkey,
    set_up_authenticator_app,
)
from .oidc_helpers import SETTINGS_STATES
from .oidc_helpers import STATES as SIGN_IN_STATES

WEB = Path(__file__).resolve().parents[3] / "web"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()


async def _fresh_login(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/login")
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()


async def _login_with_errors(page: Page, base_url: str) -> None:
    await _fresh_login(page, base_url)
    await page.get_by_role("button", name="Log in").click()  # empty fields: errors shown
    await expect(page.locator("#email-error")).not_to_be_empty()


async def _fresh_signup(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/signup")
    await expect(page.get_by_role("button", name="Sign up")).to_be_visible()


async def _signup_with_errors(page: Page, base_url: str) -> None:
    await _fresh_signup(page, base_url)
    await page.get_by_label("Email").fill("not an email")
    await page.get_by_label("Password", exact=True).fill("short")
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.locator("#email-error")).not_to_be_empty()


async def _dashboard_with_a_note(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    await page.get_by_label("Title").fill("Accessible note")
    await page.get_by_label("Body").fill("Read by a screen reader")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.locator("#note-list")).to_contain_text("Accessible note")
    await expect(page.locator("#session-list li")).to_have_count(1)


async def _dashboard_confirming_a_delete(page: Page, base_url: str) -> None:
    await _dashboard_with_a_note(page, base_url)
    await page.get_by_role("button", name="Delete “Accessible note”").click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()


async def _dashboard_unverified(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    await expect(page.get_by_role("button", name="Resend verification email")).to_be_visible()


async def _fresh_forgot_password(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/forgot-password")
    await expect(page.get_by_role("button", name="Send reset link")).to_be_visible()


async def _forgot_password_with_errors(page: Page, base_url: str) -> None:
    await _fresh_forgot_password(page, base_url)
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.locator("#email-error")).not_to_be_empty()


async def _forgot_password_sent(page: Page, base_url: str) -> None:
    await _fresh_forgot_password(page, base_url)
    await page.get_by_label("Email").fill(unique_email("nobody"))
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.locator("#request-sent")).to_be_visible()


async def _reset_password(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/reset-password#token={'a' * 43}")
    await expect(page.get_by_role("button", name="Set new password")).to_be_visible()


async def _reset_password_with_errors(page: Page, base_url: str) -> None:
    await _reset_password(page, base_url)
    await page.get_by_role("button", name="Set new password").click()
    await expect(page.locator("#new_password-error")).not_to_be_empty()


async def _reset_password_dead_link(page: Page, base_url: str) -> None:
    await _reset_password(page, base_url)
    await page.get_by_label("New password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Set new password").click()
    await expect(page.locator("#token-invalid")).to_be_visible()


async def _reset_password_incomplete_link(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/reset-password")
    await expect(page.locator("#token-invalid")).to_be_visible()


async def _fresh_login_email(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/login-email")
    await expect(page.get_by_role("button", name="Send sign-in code")).to_be_visible()


async def _login_email_with_errors(page: Page, base_url: str) -> None:
    await _fresh_login_email(page, base_url)
    await page.get_by_role("button", name="Send sign-in code").click()
    await expect(page.locator("#email-error")).not_to_be_empty()


async def _login_email_code_sent(page: Page, base_url: str) -> None:
    await _fresh_login_email(page, base_url)
    await page.get_by_label("Email").fill(unique_email("nobody"))
    await page.get_by_role("button", name="Send sign-in code").click()
    await expect(page.get_by_label("Sign-in code")).to_be_focused()


async def _login_email_wrong_code(page: Page, base_url: str) -> None:
    await _login_email_code_sent(page, base_url)
    await page.get_by_label("Sign-in code").fill("123456")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#code-error")).not_to_be_empty()


def _token_page(path: str, button: str) -> dict[str, Visit]:
    async def fresh(page: Page, base_url: str) -> None:
        await page.goto(f"{base_url}/{path}#token={'a' * 43}")
        await expect(page.get_by_role("button", name=button)).to_be_visible()

    async def dead_link(page: Page, base_url: str) -> None:
        await fresh(page, base_url)
        await page.get_by_role("button", name=button).click()
        await expect(page.locator("#token-invalid")).to_be_visible()

    async def incomplete(page: Page, base_url: str) -> None:
        await page.goto(f"{base_url}/{path}")
        await expect(page.locator("#token-invalid")).to_be_visible()

    return {path: fresh, f"{path}-dead-link": dead_link, f"{path}-incomplete": incomplete}


async def _settings(page: Page, base_url: str) -> None:
    """/settings of a new account whose email is verified (it may enrol factors)."""
    await sign_up(page, base_url)
    await page.get_by_role("link", name="Settings").click()
    await verify_email_of_settings_page(page, base_url)


async def _settings_with_errors(page: Page, base_url: str) -> None:
    await _settings(page, base_url)
    await page.get_by_role("button", name="Change password").click()
    await page.get_by_role("button", name="Change email").click()
    await expect(page.locator("#current_password-error")).not_to_be_empty()
    await expect(page.locator("#new_email-error")).not_to_be_empty()


async def _settings_mfa_enrol(page: Page, base_url: str) -> None:
    await _settings(page, base_url)
    await page.get_by_role("button", name="Set up an authenticator app").click()
    await expect(page.get_by_role("img", name="QR code")).to_be_visible()
    await page.get_by_role("button", name="Turn on").click()  # empty: the error shows
    await expect(page.locator("#mfa-code-error")).not_to_be_empty()


async def _settings_mfa_recovery_codes(page: Page, base_url: str) -> None:
    await _settings(page, base_url)
    await set_up_authenticator_app(page, base_url)
    await page.get_by_role("button", name="New recovery codes").click()
    await expect(page.locator("#recovery-codes li")).to_have_count(10)


async def _settings_confirming_turn_off(page: Page, base_url: str) -> None:
    await _settings(page, base_url)
    await set_up_authenticator_app(page, base_url)
    await page.get_by_role("button", name="Turn off").click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()


async def _login_mfa(page: Page, base_url: str) -> None:
    await log_in_to_second_step(page, base_url)


async def _login_mfa_recovery_errors(page: Page, base_url: str) -> None:
    await log_in_to_second_step(page, base_url)
    await page.get_by_role("button", name="Use a recovery code instead").click()
    await page.get_by_label("Recovery code").fill("aaaaa-aaaaa")
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator("#mfa-code-error")).not_to_be_empty()


async def _login_mfa_passkey_error(page: Page, base_url: str) -> None:
    account = await log_in_to_second_step_with_a_passkey(page, base_url)
    await account.forget_passkeys()
    await page.get_by_role("button", name="Use a passkey").click()
    await expect(page.locator("#mfa-form .form-error")).to_be_visible()


async def _login_passkey_error(page: Page, base_url: str) -> None:
    await virtual_authenticator(page)  # it holds no passkey for this site
    await _fresh_login(page, base_url)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.locator("#passkey-login-error")).to_be_visible()


async def _settings_with_a_passkey(page: Page, base_url: str) -> None:
    await virtual_authenticator(page)
    await _settings(page, base_url)
    await page.get_by_label("Passkey name").fill("Accessible laptop")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#passkey-list li")).to_have_count(1)
    await page.get_by_role("button", name="Rename Accessible laptop").click()
    await expect(page.get_by_label("New name")).to_be_focused()


async def _settings_passkey_errors(page: Page, base_url: str) -> None:
    await _settings(page, base_url)
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#passkey-name-error")).not_to_be_empty()


Visit = Callable[[Page, str], Awaitable[None]]
# Each page file of web/ and the states of it that are checked.
STATES: dict[str, dict[str, Visit]] = {
    "login.html": {
        "login": _fresh_login,
        "login-errors": _login_with_errors,
        "login-mfa": _login_mfa,
        "login-mfa-recovery-errors": _login_mfa_recovery_errors,
        "login-mfa-passkey-error": _login_mfa_passkey_error,
        "login-passkey-error": _login_passkey_error,
    },
    "signup.html": {"signup": _fresh_signup, "signup-errors": _signup_with_errors},
    "login-email.html": {
        "login-email": _fresh_login_email,
        "login-email-errors": _login_email_with_errors,
        "login-email-code-sent": _login_email_code_sent,
        "login-email-wrong-code": _login_email_wrong_code,
    },
    "login-link.html": _token_page("login-link", "Sign in"),
    "index.html": {
        "dashboard": _dashboard_with_a_note,
        "dashboard-unverified": _dashboard_unverified,
        "dashboard-confirm-delete": _dashboard_confirming_a_delete,
    },
    "forgot-password.html": {
        "forgot-password": _fresh_forgot_password,
        "forgot-password-errors": _forgot_password_with_errors,
        "forgot-password-sent": _forgot_password_sent,
    },
    "reset-password.html": {
        "reset-password": _reset_password,
        "reset-password-errors": _reset_password_with_errors,
        "reset-password-dead-link": _reset_password_dead_link,
        "reset-password-incomplete": _reset_password_incomplete_link,
    },
    "verify-email.html": _token_page("verify-email", "Verify email"),
    "confirm-email.html": _token_page("confirm-email", "Confirm new email"),
    "settings.html": {
        "settings": _settings,
        "settings-errors": _settings_with_errors,
        "settings-mfa-enrol": _settings_mfa_enrol,
        "settings-mfa-recovery-codes": _settings_mfa_recovery_codes,
        "settings-confirm-turn-off": _settings_confirming_turn_off,
        "settings-passkeys": _settings_with_a_passkey,
        "settings-passkey-errors": _settings_passkey_errors,
        **SETTINGS_STATES,
    },
    **SIGN_IN_STATES,
}


def test_every_page_of_the_web_app_is_checked() -> None:
    assert sorted(STATES) == sorted(p.name for p in WEB.glob("*.html"))


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "visit",
    [v for states in STATES.values() for v in states.values()],
    ids=[name for states in STATES.values() for name in states],
)
async def test_the_page_passes_axe_wcag_21_aa_with_one_h1(
    new_context: NewContext, base_url: str, visit: Visit, scheme: str
) -> None:
    context = await new_context(color_scheme=scheme)
    page = await context.new_page()
    await visit(page, base_url)

    assert await page.locator("h1").count() == 1
    results = await _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    assert violations == [], _describe(violations)
