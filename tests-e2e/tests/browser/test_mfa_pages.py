"""An authenticator app in the browser: set up on /settings, then the log-in's second step
with a code from it, or with a recovery code."""

from __future__ import annotations

import io
import time
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from PIL import Image
from playwright.async_api import Page, expect

from .helpers import expect_dashboard, log_in, sign_up, verify_email_of_settings_page
from .mfa_helpers import log_out_to_login, set_up_authenticator_app


async def test_an_authenticator_app_set_up_in_settings_guards_the_next_log_in(
    page: Page, base_url: str
) -> None:
    email = await sign_up(page, base_url)
    totp, recovery_codes = await set_up_authenticator_app(page, base_url)

    download = page.get_by_role("button", name="New recovery codes")
    await expect(download).to_be_visible()
    await log_out_to_login(page, base_url)

    await log_in(page, email)
    code_field = page.get_by_label("Authentication code")
    await expect(code_field).to_be_focused()
    await code_field.fill("000000")
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator("#mfa-code-error")).to_contain_text("isn't right")
    await code_field.fill(totp.at(time.time() + 30))  # not the enrolment's code
    await page.get_by_role("button", name="Verify").click()
    await expect_dashboard(page, base_url, email)

    await log_out_to_login(page, base_url)
    await log_in(page, email)
    await page.get_by_role("button", name="Use a recovery code instead").click()
    await page.get_by_label("Recovery code").fill(recovery_codes[0])
    await page.get_by_role("button", name="Verify").click()
    await expect_dashboard(page, base_url, email)


async def test_the_qr_code_is_drawn_and_a_scanner_reads_the_key_shown_beside_it(
    page: Page, base_url: str
) -> None:
    email = await sign_up(page, base_url)
    await page.goto(f"{base_url}/settings")
    await verify_email_of_settings_page(page, base_url)
    await page.get_by_role("button", name="Set up an authenticator app").click()
    qr = page.get_by_role("img", name="QR code")
    await expect(qr).to_be_visible()
    await qr.evaluate("image => image.decode().catch(() => null)")
    assert await qr.evaluate("image => image.naturalWidth") > 0

    # What a phone's camera would see: the pixels on the screen, not the markup.
    shot = Image.open(io.BytesIO(await qr.screenshot()))
    found = zxingcpp.read_barcode(shot, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found is not None, "no QR code in the screenshot"
    uri = urlsplit(found.text)
    secret = (await page.locator("#mfa-secret").text_content() or "").strip()
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [secret]
    assert email.replace("@", "%40") in uri.path
