"""The static file server for the web app (no build step): `/` is index.html, `/login` is
login.html, any extension-less path `/x` is `x.html` when that file exists, and the rest
are plain files. Security headers are the gateway's job.

Run: `uvicorn devstack.webserver:create_app --factory` with GATEHOUSE_WEB_DIR set.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route


def _resolve(root: Path, url_path: str) -> Path | None:
    """The file that `url_path` names inside `root`, or None (never a file outside it)."""
    relative = url_path.strip("/") or "index.html"
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root):
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    elif not candidate.suffix and not candidate.exists():
        candidate = candidate.with_suffix(".html")
    return candidate if candidate.is_file() else None


def create_app(web_dir: str | Path | None = None) -> Starlette:
    root = Path(web_dir or os.environ.get("GATEHOUSE_WEB_DIR", "web")).resolve()

    async def serve(request: Request) -> Response:
        found = _resolve(root, request.url.path)
        if found is None:
            raise HTTPException(status_code=404)
        # Development server: always revalidate, so an edited file shows on reload.
        return FileResponse(found, headers={"Cache-Control": "no-cache"})

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return PlainTextResponse(f"{status}", status_code=status)

    return Starlette(
        routes=[Route("/{path:path}", serve, methods=["GET", "HEAD"])],
        exception_handlers={HTTPException: not_found},
    )
