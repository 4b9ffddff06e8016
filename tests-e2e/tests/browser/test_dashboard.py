"""The dashboard: notes and sessions from the UI, log-out across tabs, nothing in storage."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Locator, Page, expect

from .helpers import (
    api_refresh_status,
    api_session,
    confirm,
    expect_login_page,
    sign_up,
    storage_dump,
)


def note(page: Page, title: str) -> Locator:
    """The note with this title in the list."""
    return page.locator("#note-list > li").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


async def test_notes_can_be_added_edited_and_deleted(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    new_note = page.get_by_role("form", name="New note")

    await new_note.get_by_label("Title").fill("Groceries")
    await new_note.get_by_label("Body").fill("Milk, eggs")
    await new_note.get_by_role("button", name="Add note").click()
    await expect(note(page, "Groceries")).to_contain_text("Milk, eggs")
    await expect(new_note.get_by_label("Title")).to_be_empty()

    await note(page, "Groceries").get_by_role("button", name="Edit").click()
    editor = page.get_by_role("form", name="Edit “Groceries”")
    await expect(editor.get_by_label("Title")).to_be_focused()
    await editor.get_by_label("Title").fill("Groceries for Sunday")
    await editor.get_by_label("Body").fill("Milk, eggs, coffee")
    await editor.get_by_role("button", name="Save").click()
    await expect(note(page, "Groceries for Sunday")).to_contain_text("Milk, eggs, coffee")

    # What the server kept, not just what the page shows.
    await page.reload()
    await expect(note(page, "Groceries for Sunday")).to_contain_text("Milk, eggs, coffee")

    await note(page, "Groceries for Sunday").get_by_role("button", name="Delete").click()
    await confirm(page, "Delete")
    await expect(note(page, "Groceries for Sunday")).to_have_count(0)
    await expect(page.get_by_text("No notes yet")).to_be_visible()
    await page.reload()
    await expect(page.get_by_text("No notes yet")).to_be_visible()


async def test_a_note_without_a_title_is_refused_next_to_the_field(
    page: Page, base_url: str
) -> None:
    await sign_up(page, base_url)
    new_note = page.get_by_role("form", name="New note")

    await new_note.get_by_role("button", name="Add note").click()

    title = new_note.get_by_label("Title")
    await expect(title).to_have_attribute("aria-invalid", "true")
    await expect(title).to_be_focused()
    await expect(page.locator("#note-list > li")).to_have_count(0)


async def test_sessions_show_this_device_and_revoke_another(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    other = await api_session(base_url, email, "OtherDevice/1.0 (a phone in a drawer)")
    try:
        await page.reload()
        sessions = page.locator("#session-list > li")
        await expect(sessions).to_have_count(2)
        current = page.locator("#session-list > li[aria-current=true]")
        await expect(current).to_contain_text("This device")
        await expect(current.get_by_role("button")).to_have_count(0)

        await sessions.filter(has_text="OtherDevice").get_by_role("button", name="Revoke").click()
        await confirm(page, "Revoke")

        await expect(sessions).to_have_count(1)
        assert await api_refresh_status(other) == 401
        # This device carries on.
        await page.reload()
        await expect(page.locator("#identity-email")).to_have_text(email)
    finally:
        await other.aclose()


async def test_log_out_everywhere_ends_every_session(page: Page, base_url: str) -> None:
    email = await sign_up(page, base_url)
    other = await api_session(base_url, email, "OtherDevice/1.0")
    try:
        await page.reload()
        await expect(page.locator("#session-list > li")).to_have_count(2)

        await page.get_by_role("button", name="Log out everywhere").click()
        await confirm(page, "Log out everywhere")

        await expect_login_page(page, base_url)
        assert await api_refresh_status(other) == 401
        await page.goto(f"{base_url}/")
        await expect(page).to_have_url(f"{base_url}/login?next=%2F")
    finally:
        await other.aclose()


async def test_log_out_in_one_tab_logs_out_the_others(
    context: BrowserContext, base_url: str
) -> None:
    first, second = await context.new_page(), await context.new_page()
    email = await sign_up(first, base_url)
    await second.goto(f"{base_url}/")
    await expect(second.locator("#identity-email")).to_have_text(email)

    await first.get_by_role("button", name="Log out", exact=True).click()

    await expect_login_page(first, base_url)
    await expect_login_page(second, base_url)


async def test_no_token_reaches_web_storage_or_a_readable_cookie(
    context: BrowserContext, base_url: str
) -> None:
    page = await context.new_page()
    await sign_up(page, base_url)
    await page.get_by_role("form", name="New note").get_by_label("Title").fill("Secret plans")
    await page.get_by_role("button", name="Add note").click()
    await expect(note(page, "Secret plans")).to_have_count(1)
    await page.reload()
    await expect(note(page, "Secret plans")).to_have_count(1)

    readable = await storage_dump(context)
    assert readable, "the page should have been inspected"
    assert not [entry for entry in readable if "eyJ" in entry], readable

    # The refresh token exists, but only where scripts cannot read it.
    cookies = {cookie["name"]: cookie for cookie in await context.cookies()}
    assert cookies["refresh_token"]["httpOnly"] is True
    assert cookies["refresh_token"]["path"] == "/api/auth"
    assert cookies["refresh_token"]["sameSite"] == "Strict"
    assert all(cookie["httpOnly"] for cookie in cookies.values()), cookies


async def test_notes_work_from_the_keyboard_alone(page: Page, base_url: str) -> None:
    await sign_up(page, base_url)
    new_note = page.get_by_role("form", name="New note")

    await new_note.get_by_label("Title").focus()
    await page.keyboard.type("Typed, not clicked")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Ctrl+Enter saves")
    await page.keyboard.press("Control+Enter")
    await expect(note(page, "Typed, not clicked")).to_contain_text("Ctrl+Enter saves")
    await expect(new_note.get_by_label("Title")).to_be_focused()

    edit = note(page, "Typed, not clicked").get_by_role("button", name="Edit")
    await edit.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.type(" (draft)")
    await page.keyboard.press("Escape")  # cancels, and the focus goes back where it was
    await expect(
        note(page, "Typed, not clicked").get_by_role("button", name="Edit")
    ).to_be_focused()

    await page.keyboard.press("Enter")
    await page.keyboard.press("End")
    await page.keyboard.type(" and edited")
    await page.keyboard.press("Enter")  # submits the edit form
    await expect(note(page, "Typed, not clicked and edited")).to_have_count(1)

    await note(page, "Typed, not clicked and edited").get_by_role("button", name="Delete").focus()
    await page.keyboard.press("Enter")
    cancel = page.get_by_role("alertdialog").get_by_role("button", name="Cancel")
    await expect(cancel).to_be_focused()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#note-list > li")).to_have_count(0)
    await expect(new_note.get_by_label("Title")).to_be_focused()
