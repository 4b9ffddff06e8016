"""Actions that cannot be undone ask once: "Cancel" (or Escape) changes nothing and gives
the focus back, the dialog's own button does the action."""

from __future__ import annotations

import time

from playwright.async_api import Locator, Page, expect

from .helpers import (
    api_refresh_status,
    api_session,
    confirm,
    expect_login_page,
    prove_with_a_passkey_if_asked,
    sign_up,
    virtual_authenticator,
)
from .mfa_helpers import add_passkey, set_up_authenticator_app


def _dialog(page: Page) -> Locator:
    return page.get_by_role("alertdialog")


async def _cancel(page: Page, trigger: Locator, *, escape: bool = False) -> None:
    await trigger.click()
    dialog = _dialog(page)
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    if escape:
        await page.keyboard.press("Escape")
    else:
        await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(trigger).to_be_focused()


async def test_deleting_a_note_asks_first(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    form = page.get_by_role("form", name="New note")
    await form.get_by_label("Title").fill("Keep me")
    await form.get_by_role("button", name="Add note").click()
    delete = page.get_by_role("button", name="Delete “Keep me”")

    await _cancel(page, delete)
    await _cancel(page, delete, escape=True)
    await page.reload()
    await expect(page.get_by_role("heading", name="Keep me")).to_be_visible()

    await delete.click()
    await expect(_dialog(page)).to_contain_text("Delete “Keep me”?")
    await confirm(page, "Delete")
    await expect(page.get_by_text("No notes yet")).to_be_visible()
    await page.reload()
    await expect(page.get_by_text("No notes yet")).to_be_visible()


async def test_revoking_another_session_asks_first(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    other = await api_session(base_url, email, "OtherDevice/1.0 (a phone in a drawer)")
    try:
        await page.reload()
        sessions = page.locator("#session-list > li")
        await expect(sessions).to_have_count(2)
        revoke = sessions.filter(has_text="OtherDevice").get_by_role("button", name="Revoke")

        await _cancel(page, revoke)
        await expect(sessions).to_have_count(2)
        assert await api_refresh_status(other) == 200

        await revoke.click()
        await confirm(page, "Revoke")
        await expect(sessions).to_have_count(1)
        assert await api_refresh_status(other) == 401
    finally:
        await other.aclose()


async def test_log_out_everywhere_asks_first(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    other = await api_session(base_url, email, "OtherDevice/1.0")
    try:
        await page.reload()
        everywhere = page.get_by_role("button", name="Log out everywhere")

        await _cancel(page, everywhere)
        await expect(page).to_have_url(f"{base_url}/")
        assert await api_refresh_status(other) == 200

        await everywhere.click()
        await confirm(page, "Log out everywhere")
        await expect_login_page(page, base_url)
        assert await api_refresh_status(other) == 401
    finally:
        await other.aclose()


async def test_turning_the_authenticator_app_off_asks_first(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    totp, _ = await set_up_authenticator_app(page, base_url)
    turn_off = page.get_by_role("button", name="Turn off")

    await _cancel(page, turn_off)
    await page.reload()
    await expect(turn_off).to_be_visible()  # still on, as the server says

    await turn_off.click()
    await confirm(page, "Turn off")
    set_up = page.get_by_role("button", name="Set up an authenticator app")
    reauth = page.get_by_role("dialog", name="Confirm it's you")
    await expect(set_up.or_(reauth)).to_be_visible()
    if await reauth.is_visible():  # a change of factor may need a proof of the factor
        await reauth.get_by_role("button", name="Use an authentication code instead").click()
        await reauth.get_by_label("Authentication code").fill(totp.at(time.time() + 30))
        await reauth.get_by_role("button", name="Confirm").click()
    await expect(set_up).to_be_visible()
    await page.reload()
    await expect(set_up).to_be_visible()


async def test_removing_a_passkey_asks_first(page: Page, base_url: str) -> None:
    await virtual_authenticator(page)
    await sign_up(page, base_url)
    await add_passkey(page, base_url, "Old phone")
    remove = page.get_by_role("button", name="Remove Old phone")

    await _cancel(page, remove)
    await page.reload()
    await expect(page.locator("#passkey-list")).to_contain_text("Old phone")

    await remove.click()
    await expect(_dialog(page)).to_contain_text("Old phone")
    await confirm(page, "Remove")
    empty = page.locator("#passkeys-empty")
    await prove_with_a_passkey_if_asked(page, empty)
    await page.reload()
    await expect(empty).to_be_visible()
