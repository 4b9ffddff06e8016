"""The interactive API docs through the gateway, in a real Chromium: everything comes
from the stack itself (no CDN, so they work offline) under the strict CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import ConsoleMessage, Page, Request, Route, expect

# One operation each page must list, as Swagger UI shows it: method and path.
DOCS = {
    "/api/auth/docs": ("post", "/api/auth/login"),
    "/api/resource/docs": ("post", "/api/resource/notes"),
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def test_the_api_docs_list_the_operations_with_nothing_from_outside_the_stack(
    page: Page, base_url: str
) -> None:
    origin = _origin(base_url)
    requested: list[str] = []
    problems: list[str] = []

    def note_request(request: Request) -> None:
        requested.append(request.url)

    def note_console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    async def offline(route: Route) -> None:
        # As if there were no internet: anything off the stack's origin fails.
        await route.abort("internetdisconnected")

    page.on("request", note_request)
    page.on("console", note_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.route(lambda url: _origin(url) != origin, offline)

    for path, (method, operation) in DOCS.items():
        response = await page.goto(f"{base_url}{path}")
        assert response is not None
        assert response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self';" in policy, (path, policy)
        assert "unsafe-inline" not in policy, (path, policy)
        listed = page.locator(f".opblock-{method}").filter(
            has=page.locator(f'[data-path="{operation}"]')
        )
        await expect(listed.first).to_be_visible()
        await expect(listed.first).to_contain_text(method.upper())

    outside = [url for url in requested if _origin(url) != origin]
    assert outside == []
    assert problems == []
    assert any(url.endswith("/docs/static/swagger-ui-bundle.js") for url in requested)
