"""Real Chromium for the browser tests: Debian's build, driven by Playwright.

Playwright cannot download its own browsers here, so it launches the system Chromium
(`apt-get install chromium`; another binary through GATEHOUSE_CHROMIUM). Each test gets
fresh browser contexts (a context is a browser profile: its own cookies and storage; its
pages are tabs); when a test fails, a screenshot of every open tab goes to
tests-e2e/artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from tests_e2e.stacks import RunningStack

from .helpers import REAUTH_MAX_AGE, SHORT_GRACE_SECONDS, SHORT_TTL_SECONDS, gateway

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The stack runs on a busy 2-core machine (argon2 on every log-in): be patient, not flaky.
expect.set_options(timeout=15_000)

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

NewContext = Callable[..., Awaitable[BrowserContext]]


def _chromium() -> str:
    configured = os.environ.get("GATEHOUSE_CHROMIUM")
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "Chromium is not installed: `apt-get install -y chromium` (or set GATEHOUSE_CHROMIUM)",
            pytrace=False,
        )
    return found


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the test, so that fixtures can see whether it failed.
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def _screenshot_pages(contexts: list[BrowserContext], test_name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", test_name)[:120]
    for c, context in enumerate(contexts):
        for p, page in enumerate(context.pages):
            target = ARTIFACTS / f"{stem}-context{c}-tab{p}.png"
            try:
                await page.screenshot(path=str(target), full_page=True, timeout=5_000)
            except Exception as error:  # a crashed or closing page must not hide the failure
                target.with_suffix(".txt").write_text(f"no screenshot: {error}\n{page.url}\n")


@pytest.fixture
async def new_context(
    browser: Browser, request: pytest.FixtureRequest
) -> AsyncIterator[NewContext]:
    """Opens browser contexts (profiles) for the test; closes them after it, with
    screenshots of every tab first if the test failed."""
    contexts: list[BrowserContext] = []

    async def open_context(**options: object) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 860})
        context = await browser.new_context(**options)  # type: ignore[arg-type]
        contexts.append(context)
        return context

    yield open_context
    reports = request.node.stash.get(_REPORTS, {})
    if any(report.failed for report in reports.values()):
        await _screenshot_pages(contexts, request.node.nodeid.split("::", 1)[-1])
    for context in contexts:
        await context.close()


@pytest.fixture
async def context(new_context: NewContext) -> BrowserContext:
    return await new_context()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture(scope="session")
def base_url(stack: RunningStack) -> str:
    """The gateway of the stack booted as `make run` boots it."""
    return gateway(stack)


@pytest.fixture(scope="session")
def short_ttl_base_url(stack_factory: Callable[..., RunningStack]) -> str:
    short = stack_factory(
        {
            "AUTH_ACCESS_TOKEN_TTL": str(SHORT_TTL_SECONDS),
            "AUTH_REFRESH_REUSE_GRACE": str(SHORT_GRACE_SECONDS),
            # The resource service's clock leeway (30 s by default) would hide the expiry.
            "RESOURCE_LEEWAY": "1",
        },
        name="short-ttl",
    )
    return gateway(short)


@pytest.fixture(scope="session")
def step_up_base_url(stack_factory: Callable[..., RunningStack]) -> str:
    """A stack whose "recent log-in" lasts REAUTH_MAX_AGE seconds: the step-up prompt shows."""
    short = stack_factory({"AUTH_REAUTH_MAX_AGE": str(REAUTH_MAX_AGE)}, name="short-reauth")
    return gateway(short)
