"""Access tokens expire and refresh tokens rotate, across tabs, without the user noticing.

These run against a stack of their own whose access tokens live a few seconds and whose
reuse grace window is short (see conftest), so expiry and the end of the grace window come
within the test.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
from playwright.async_api import BrowserContext, Page, expect

from .helpers import (
    REFRESH_PATH,
    SHORT_GRACE_SECONDS,
    NetworkLog,
    expect_dashboard,
    fresh_access_token,
    sign_up,
)

# Long enough for any verifier's clock leeway; bounded so a broken stack fails, not hangs.
EXPIRY_WAIT_LIMIT = 90.0


async def wait_until_tokens_expire(base_url: str, email: str) -> None:
    """Returns once every access token the pages of `email` hold is refused by the resource
    service: a token issued after theirs has expired for real (the verifier's clock leeway
    included)."""
    token = await fresh_access_token(base_url, email)
    deadline = time.monotonic() + EXPIRY_WAIT_LIMIT
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        while time.monotonic() < deadline:
            response = await client.get(
                "/api/resource/me", headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code == 401:
                return
            await asyncio.sleep(1)
    raise AssertionError(f"the access token was still accepted after {EXPIRY_WAIT_LIMIT}s")


async def open_tabs(context: BrowserContext, count: int, log: NetworkLog) -> list[Page]:
    tabs = [await context.new_page() for _ in range(count)]
    for number, tab in enumerate(tabs):
        log.watch(tab, number)
    return tabs


async def test_four_tabs_reloading_at_once_stay_logged_in(
    context: BrowserContext, short_ttl_base_url: str
) -> None:
    base_url = short_ttl_base_url
    log = NetworkLog()
    tabs = await open_tabs(context, 4, log)
    email = await sign_up(tabs[0], base_url)
    await asyncio.gather(*(tab.goto(f"{base_url}/") for tab in tabs[1:]))
    await asyncio.gather(*(expect_dashboard(tab, base_url, email) for tab in tabs))
    logged_in_at = time.time() * 1000

    for _ in range(3):
        await asyncio.gather(*(tab.reload() for tab in tabs))
        await asyncio.gather(*(expect_dashboard(tab, base_url, email) for tab in tabs))

    # Past the grace window, a refresh token spent twice would now end the session.
    await asyncio.sleep(SHORT_GRACE_SECONDS + 1)
    await asyncio.gather(*(tab.reload() for tab in tabs))
    await asyncio.gather(*(expect_dashboard(tab, base_url, email) for tab in tabs))

    await log.wait_for(REFRESH_PATH, len(tabs) * 5)
    refreshes = [e for e in log.refreshes() if e.started_ms > logged_in_at]
    assert len(refreshes) >= len(tabs)
    assert [e for e in refreshes if e.status != 200] == []
    for tab in tabs:
        assert "/login" not in tab.url


async def test_the_app_keeps_working_after_the_access_token_expires(
    context: BrowserContext, short_ttl_base_url: str
) -> None:
    base_url = short_ttl_base_url
    log = NetworkLog()
    (page,) = await open_tabs(context, 1, log)
    email = await sign_up(page, base_url)
    await wait_until_tokens_expire(base_url, email)
    refreshes_before = len(log.refreshes())

    new_note = page.get_by_role("form", name="New note")
    await new_note.get_by_label("Title").fill("Written after the token expired")
    await new_note.get_by_role("button", name="Add note").click()

    await expect(
        page.get_by_role("heading", name="Written after the token expired")
    ).to_be_visible()
    assert page.url == f"{base_url}/"
    await log.wait_for("/api/resource/notes", count=3)  # the first GET, then two POSTs
    posts = [e.status for e in log.calls("/api/resource/notes") if e.method == "POST"]
    assert posts == [401, 201], "the expired token is refused once, then the retry succeeds"
    assert [e.status for e in log.refreshes()[refreshes_before:]] == [200]


async def test_concurrent_401s_share_one_refresh_and_tabs_take_turns(
    context: BrowserContext, short_ttl_base_url: str
) -> None:
    base_url = short_ttl_base_url
    log = NetworkLog()
    tabs = await open_tabs(context, 3, log)
    email = await sign_up(tabs[0], base_url)
    await asyncio.gather(*(tab.goto(f"{base_url}/") for tab in tabs[1:]))
    await asyncio.gather(*(expect_dashboard(tab, base_url, email) for tab in tabs))
    await wait_until_tokens_expire(base_url, email)
    refreshes_before = len(log.refreshes())

    # Every tab makes three calls at once with its expired token.
    statuses = await asyncio.gather(
        *(
            tab.evaluate(
                """async () => {
                    const { apiFetch } = await import("/js/lib/session.js");
                    const calls = ["/api/resource/me", "/api/resource/notes", "/api/auth/me"];
                    const responses = await Promise.all(calls.map((path) => apiFetch(path)));
                    return responses.map((response) => response.status);
                }"""
            )
            for tab in tabs
        )
    )

    assert statuses == [[200, 200, 200]] * len(tabs)
    refreshes = (await log.wait_for(REFRESH_PATH, refreshes_before + 1))[refreshes_before:]
    assert [e.status for e in refreshes] == [200] * len(refreshes)
    # Within a tab one refresh serves every call; across tabs the lock keeps refreshes apart
    # (and a tab that waited reuses the token the other one shared).
    assert 1 <= len(refreshes) <= len(tabs)
    assert len({e.page for e in refreshes}) == len(refreshes)
    spans = sorted((e.started_ms, e.ended_ms) for e in refreshes)
    for (_, ended), (started, _) in itertools.pairwise(spans):
        assert started >= ended, f"two refreshes overlapped: {spans}"
