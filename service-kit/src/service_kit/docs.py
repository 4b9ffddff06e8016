"""Interactive API docs (Swagger UI) served by the service itself, for both services.

FastAPI's own docs page loads Swagger UI from a CDN and starts it with an inline script:
blank without internet, and it needs a CSP that allows `'unsafe-inline'` and the CDN.
Here the assets come from the `fastapi-offline` package (version pinned by uv.lock) and
are served under `<prefix>/docs/static/`; a small static script (`swagger-init.js`)
starts Swagger UI, reading the OpenAPI URL from the page. So the page works offline and
under the gateway's strict policy (`script-src 'self'; style-src 'self'`).

The OpenAPI document itself (FastAPI's `openapi_url`) is not touched: it stays served
when the docs are off, for API clients, code generators and the fuzz tests.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# Looked up in order: our start-up script, then the pinned Swagger UI bundle and styles.
ASSET_PACKAGES: list[str | tuple[str, str]] = [
    ("service_kit", "docs_static"),
    ("fastapi_offline", "static"),
]


def swagger_ui_page(title: str, openapi_url: str, static_url: str) -> str:
    """The docs page: markup and same-origin assets only, no inline script or style."""
    title, openapi_url, static_url = (escape(s) for s in (title, openapi_url, static_url))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API docs</title>
<link rel="stylesheet" href="{static_url}/swagger-ui.css">
<link rel="icon" type="image/png" href="{static_url}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{static_url}/swagger-ui-bundle.js"></script>
<script src="{static_url}/swagger-init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI, prefix: str, *, enabled: bool) -> None:
    """Serves Swagger UI at `<prefix>/docs` (assets under `<prefix>/docs/static/`).

    Build the app with `docs_url=None, redoc_url=None` (FastAPI's CDN pages off). With
    `enabled=False` nothing is added: the docs paths answer 404.
    """
    if not enabled:
        return
    if app.openapi_url is None:
        raise ValueError("the docs need the app's OpenAPI document (openapi_url)")
    docs_url = f"{prefix}/docs"
    static_url = f"{docs_url}/static"
    page = swagger_ui_page(app.title, app.openapi_url, static_url)
    app.mount(static_url, StaticFiles(packages=ASSET_PACKAGES), name="docs-static")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
