"""Takes the README's screenshot of the dashboard: `python dashboard_screenshot.py [OUT]`.

Boots a throw-away stack (as the tests do), signs up a demo user, adds a few notes and two
more sessions "on other devices", and saves the dashboard to OUT (docs/dashboard.png).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import httpx
from playwright.async_api import async_playwright, expect
from tests_e2e.stacks import boot_stack

ROOT = Path(__file__).resolve().parents[3]
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


async def take(base_url: str, out: Path) -> None:
    for agent in OTHER_DEVICES:
        async with httpx.AsyncClient(base_url=base_url, headers={"User-Agent": agent}) as other:
            credentials = {"email": EMAIL, "password": PASSWORD}
            path = "/api/auth/signup" if agent == OTHER_DEVICES[0] else "/api/auth/login"
            (await other.post(path, json=credentials)).raise_for_status()
    async with async_playwright() as playwright:
        chromium = os.environ.get("GATEHOUSE_CHROMIUM") or shutil.which("chromium")
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1280, "height": 800}, user_agent=CHROME_ON_LINUX
        )
        page = await context.new_page()
        await page.goto(f"{base_url}/login")
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        form = page.get_by_role("form", name="New note")
        for title, body in NOTES:
            await form.get_by_label("Title").fill(title)
            await form.get_by_label("Body").fill(body)
            await form.get_by_role("button", name="Add note").click()
            await expect(page.get_by_role("heading", name=title)).to_be_visible()
        await page.reload()
        await expect(page.locator("#session-list > li")).to_have_count(3)
        await page.locator("#note-title").blur()
        out.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(out), full_page=True)
        await browser.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "dashboard.png"
    running = boot_stack(name="screenshot")
    try:
        asyncio.run(take(running.base_url, out))
    finally:
        running.shutdown()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
