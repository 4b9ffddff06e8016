"""The static file server maps clean URLs to the web app's files and nothing outside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from devstack.webserver import create_app


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    site = tmp_path / "web"
    (site / "js").mkdir(parents=True)
    (site / "index.html").write_text("<h1>dashboard</h1>")
    (site / "login.html").write_text("<h1>login</h1>")
    (site / "js" / "app.js").write_text("export {};")
    (tmp_path / "secret.txt").write_text("outside the site")
    transport = httpx.ASGITransport(app=create_app(site))
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body"),
    [("/", "dashboard"), ("/login", "login"), ("/login.html", "login"), ("/js/app.js", "export")],
)
async def test_clean_urls_and_files_are_served(
    web: httpx.AsyncClient, path: str, body: str
) -> None:
    response = await web.get(path)
    assert response.status_code == 200
    assert body in response.text
    assert response.headers["cache-control"] == "no-cache"


async def test_scripts_are_served_as_javascript(web: httpx.AsyncClient) -> None:
    response = await web.get("/js/app.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]


@pytest.mark.parametrize(
    "path", ["/signup", "/js/missing.js", "/../secret.txt", "/%2e%2e/secret.txt"]
)
async def test_missing_files_and_paths_outside_the_site_are_not_found(
    web: httpx.AsyncClient, path: str
) -> None:
    assert (await web.get(path)).status_code == 404


async def test_only_reading_is_allowed(web: httpx.AsyncClient) -> None:
    assert (await web.post("/login")).status_code == 405
