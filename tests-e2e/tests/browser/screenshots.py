"""Screenshots of every page state: `python screenshots.py [OUT]` (`make screenshot`).

Boots a throw-away stack (as the tests do), walks a demo user through the app in Chromium
(notes, sessions on other devices, an authenticator app, two passkeys on virtual
authenticators, an application's sign-in: screenshots_sign_in.py) and saves each state at
1280 and 390 CSS pixels wide, in the light scheme, and for the main pages in the dark one
too, as OUT/<state>-<width>[-dark].png (OUT: docs/screenshots). The dashboard at 1280 px,
light, is also docs/dashboard.png.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx
import pyotp

# Run as a script: its folder is first on the path, so the tests' helpers import as `helpers`.
from helpers import virtual_authenticator
from playwright.async_api import BrowserContext, Page, Route, async_playwright, expect
from screenshots_sign_in import sign_in_pages
from tests_e2e.mail import await_link
from tests_e2e.stacks import RunningStack, boot_stack

ROOT = Path(__file__).resolve().parents[3]
# As the browser tests (conftest.py): the stack runs on a busy machine; be patient, not flaky.
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
OTHER_DEVICES = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:132.0) Gecko/20100101 Firefox/132.0",
)
EMAIL = "ada@example.com"
PASSWORD = "analytical engine, 1843"
NOTES = (
    ("Read later", ""),
    ("Launch checklist", "Rotate the signing key.\nInvite the beta users.\nWrite the changelog."),
    ("Groceries", "Oat milk, coffee beans, lemons"),
)
DUMMY_TOKEN = "a" * 43
WIDE, NARROW = {"width": 1280, "height": 860}, {"width": 390, "height": 844}
# (viewport, scheme): every state gets the first two, the main pages all four.
Variants = tuple[tuple[dict[str, int], str], ...]
LIGHT: Variants = ((WIDE, "light"), (NARROW, "light"))
ALL: Variants = (*LIGHT, (WIDE, "dark"), (NARROW, "dark"))


class Shooter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: list[Path] = []

    async def __call__(
        self, page: Page, state: str, variants: Variants = LIGHT, *, full_page: bool = True
    ) -> None:
        """Saves the page as it is now in each (viewport, scheme) of `variants`: the whole
        page, or (a modal dialog open) what the screen shows."""
        for viewport, scheme in variants:
            await page.set_viewport_size(viewport)
            await page.emulate_media(color_scheme=scheme)
            if full_page:  # the sticky top bar at the top, where the page begins
                await page.evaluate("document.activeElement?.blur?.(); window.scrollTo(0, 0)")
            await page.wait_for_timeout(150)  # the relayout and the theme's transitions
            suffix = "" if scheme == "light" else "-dark"
            target = self.out / f"{state}-{viewport['width']}{suffix}.png"
            await page.screenshot(path=str(target), full_page=full_page, animations="disabled")
            self.written.append(target)
        await page.set_viewport_size(WIDE)
        await page.emulate_media(color_scheme="light")


async def _ready(page: Page) -> None:
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")


async def signed_out_pages(context: BrowserContext, base_url: str, shoot: Shooter) -> None:
    page = await context.new_page()
    visits: list[tuple[str, str, Variants]] = [
        ("login", "/login", ALL),
        ("login-session-ended", "/login?notice=session-ended", LIGHT),
        ("signup", "/signup", ALL),
        ("forgot-password", "/forgot-password", LIGHT),
        ("login-email", "/login-email", LIGHT),
        ("login-link", f"/login-link#token={DUMMY_TOKEN}", LIGHT),
        ("reset-password", f"/reset-password#token={DUMMY_TOKEN}", LIGHT),
        ("verify-email", f"/verify-email#token={DUMMY_TOKEN}", LIGHT),
        ("confirm-email", f"/confirm-email#token={DUMMY_TOKEN}", LIGHT),
    ]
    for state, path, variants in visits:
        await page.goto(f"{base_url}{path}")
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await shoot(page, state, variants)

    await page.goto(f"{base_url}/login")
    await expect(page.locator("#auth-form")).to_have_attribute("data-ready", "true")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#email-error")).not_to_be_empty()
    await shoot(page, "login-errors")

    await page.goto(f"{base_url}/forgot-password")
    await page.get_by_label("Email").fill("someone@example.com")
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.locator("#request-sent")).to_be_visible()
    await shoot(page, "forgot-password-sent")

    await page.goto(f"{base_url}/login-email")
    await page.get_by_label("Email").fill("someone@example.com")
    await page.get_by_role("button", name="Send sign-in code").click()
    await page.get_by_label("Sign-in code").fill("123456")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#code-error")).not_to_be_empty()
    await shoot(page, "login-email-code-sent")

    await page.goto(f"{base_url}/login-link#token={DUMMY_TOKEN}")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#token-invalid")).to_be_visible()
    await shoot(page, "login-link-dead-link")

    await page.goto(f"{base_url}/reset-password#token={DUMMY_TOKEN}")
    await page.get_by_label("New password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Set new password").click()
    await expect(page.locator("#token-invalid")).to_be_visible()
    await shoot(page, "reset-password-dead-link")
    await page.close()


async def other_devices(base_url: str) -> None:
    for agent in OTHER_DEVICES:
        async with httpx.AsyncClient(base_url=base_url, headers={"User-Agent": agent}) as other:
            credentials = {"email": EMAIL, "password": PASSWORD}
            path = "/api/auth/signup" if agent == OTHER_DEVICES[0] else "/api/auth/login"
            (await other.post(path, json=credentials)).raise_for_status()


async def verify_email(stack: RunningStack) -> None:
    link = await await_link(stack.settings.mail_url, EMAIL, "verify-email")
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        body = {"token": link.split("#token=", 1)[1]}
        (await client.post("/api/auth/email/verify", json=body)).raise_for_status()


async def dashboard(page: Page, stack: RunningStack, shoot: Shooter) -> None:
    base_url = stack.base_url
    await page.goto(f"{base_url}/login")
    await expect(page.locator("#auth-form")).to_have_attribute("data-ready", "true")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await _ready(page)
    form = page.get_by_role("form", name="New note")
    for title, body in NOTES:
        await form.get_by_label("Title").fill(title)
        await form.get_by_label("Body").fill(body)
        await form.get_by_role("button", name="Add note").click()
        await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await page.reload()
    await _ready(page)
    await expect(page.get_by_role("button", name="Resend verification email")).to_be_visible()
    await shoot(page, "dashboard-unverified")

    await verify_email(stack)
    await page.reload()
    await _ready(page)
    await expect(page.locator("#session-list > li")).to_have_count(3)
    await expect(page.locator("#verify-banner")).to_be_hidden()
    await shoot(page, "dashboard", ALL)
    shutil.copyfile(shoot.out / "dashboard-1280.png", ROOT / "docs" / "dashboard.png")

    await page.get_by_role("button", name="Delete “Groceries”").click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()
    await shoot(page, "dashboard-confirm-delete", full_page=False)
    await page.keyboard.press("Escape")


async def settings(page: Page, base_url: str, shoot: Shooter) -> pyotp.TOTP:
    await page.goto(f"{base_url}/settings")
    await _ready(page)
    for name in ("Laptop", "YubiKey 5C"):
        await page.get_by_label("Passkey name").fill(name)
        if name != "Laptop":
            # With a passkey on the account, adding another wants a proof of one ("Confirm
            # it's you"): the laptop's gives it before the key is plugged in (the key, holding
            # none, would answer instead); the laptop then refuses a second passkey.
            await page.get_by_role("button", name="Add a passkey").click()
            await page.locator("#reauth-dialog").get_by_role("button", name="Use a passkey").click()
            await expect(page.locator("#passkey-form .form-error")).to_be_visible()
            await virtual_authenticator(page, transport="usb")
        await page.get_by_role("button", name="Add a passkey").click()
        await expect(page.locator("#passkey-list")).to_contain_text(name)

    await page.get_by_role("button", name="Set up an authenticator app").click()
    qr = page.get_by_role("img", name="QR code")
    await expect(qr).to_be_visible()
    await qr.evaluate("image => image.decode()")
    await shoot(page, "settings-authenticator-setup", ALL)
    totp = pyotp.TOTP((await page.locator("#mfa-secret").text_content() or "").strip())
    await page.get_by_role("textbox", name="Authentication code").fill(totp.now())
    await page.get_by_role("button", name="Turn on").click()
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    await shoot(page, "settings-recovery-codes")
    await page.get_by_role("button", name="I've saved them").click()
    await page.reload()
    await _ready(page)
    await expect(page.get_by_role("button", name="Turn off")).to_be_visible()
    await shoot(page, "settings", ALL)

    await page.get_by_role("button", name="Turn off").click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()
    await shoot(page, "settings-confirm-turn-off", full_page=False)
    await page.keyboard.press("Escape")

    # "Confirm it's you", as shown once the log-in is no longer recent.
    async def not_recent(route: Route) -> None:
        problem = {"status": 401, "title": "A recent log-in is needed"}
        challenge = 'Bearer error="insufficient_user_authentication", max_age=300'
        await route.fulfill(
            status=401,
            headers={"WWW-Authenticate": challenge},
            content_type="application/problem+json",
            body=json.dumps(problem),
        )

    await page.route("**/api/auth/mfa/recovery-codes", not_recent)
    await page.get_by_role("button", name="New recovery codes").click()
    await expect(page.get_by_role("dialog", name="Confirm it's you")).to_be_visible()
    await shoot(page, "settings-confirm-its-you", full_page=False)
    await page.keyboard.press("Escape")
    await page.unroute("**/api/auth/mfa/recovery-codes")
    return totp


async def second_step(page: Page, base_url: str, totp: pyotp.TOTP, shoot: Shooter) -> None:
    await page.goto(f"{base_url}/")
    await _ready(page)
    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect(page.locator("#auth-notice")).to_be_visible()
    await shoot(page, "login-logged-out")
    await expect(page.locator("#auth-form")).to_have_attribute("data-ready", "true")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    code = page.get_by_label("Authentication code")
    await expect(code).to_be_focused()
    await shoot(page, "login-second-step", ALL)
    await code.fill(totp.at(time.time() + 30))
    await page.get_by_role("button", name="Verify").click()
    await _ready(page)


async def starting(page: Page, base_url: str, shoot: Shooter) -> None:
    async def no_server(route: Route) -> None:
        await route.fulfill(status=503, content_type="text/plain", body="no available server")

    await page.route("**/api/**", no_server)
    await page.goto(f"{base_url}/")
    await expect(page.get_by_text("Gatehouse is starting")).to_be_visible()
    await shoot(page, "starting")
    await page.unroute("**/api/**")


async def take(stack: RunningStack, out: Path) -> list[Path]:
    base_url = stack.base_url
    shoot = Shooter(out)
    await other_devices(base_url)
    async with async_playwright() as playwright:
        chromium = os.environ.get("GATEHOUSE_CHROMIUM") or shutil.which("chromium")
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        await signed_out_pages(await browser.new_context(viewport=WIDE), base_url, shoot)
        context = await browser.new_context(viewport=WIDE, user_agent=CHROME_ON_LINUX)
        page = await context.new_page()
        await virtual_authenticator(page)
        await dashboard(page, stack, shoot)
        totp = await settings(page, base_url, shoot)
        await second_step(page, base_url, totp, shoot)
        await sign_in_pages(page, base_url, shoot, ALL)
        await starting(page, base_url, shoot)
        await browser.close()
    return shoot.written


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    running = boot_stack(name="screenshot")
    try:
        written = asyncio.run(take(running, out))
    finally:
        running.shutdown()
    print(f"wrote {len(written)} screenshots to {out} (and docs/dashboard.png)")


if __name__ == "__main__":
    main()
