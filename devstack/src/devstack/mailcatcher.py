"""The local stack's mail catcher: a real SMTP server (aiosmtpd) that keeps every message
it is given under the data folder, and an inbox on HTTP that answers the subset of
Mailpit's API that tests and tools use, so the same code works against compose's Mailpit.

    python -m devstack.mailcatcher --smtp-port 1025 --http-port 8025 --folder .devstack/mail

HTTP: `/` the inbox, `/view/{ID}` one message; `GET /api/v1/messages?start&limit`,
`GET /api/v1/message/{ID}` (`latest` too), `GET /api/v1/search?query=to:ADDR`,
`DELETE /api/v1/messages` (all, or `{"IDs": [...]}`), `GET /livez`.
Nothing is sent on: this is a sink for local development.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from devstack import inbox_pages
from devstack.mailstore import MailStore, Message, detail, matches, summary

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
_PAGE_HEADERS = {
    "Content-Security-Policy": inbox_pages.CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a reset link's page must not leak to the next
}


class _Keeper:
    """aiosmtpd's handler: every message it accepts is stored before `250` is answered.
    A recipient in `refusals` gets that reply instead (tests of a relay that refuses)."""

    def __init__(self, store: MailStore, refusals: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.refusals = {address.lower(): reply for address, reply in (refusals or {}).items()}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.refusals.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = self.store.add(raw)
        # Who and which: never the body, which may carry a token.
        print(f"kept {message.id} for {', '.join(envelope.rcpt_tos)}", flush=True)
        return "250 Message accepted for delivery"


def _page(request: Request) -> tuple[int, int]:
    try:
        start = max(0, int(request.query_params.get("start", "0")))
        limit = min(1000, max(1, int(request.query_params.get("limit", "50"))))
    except ValueError:
        return 0, 50
    return start, limit


def _listing(messages: list[Message], total: int, start: int, limit: int) -> dict[str, Any]:
    return {
        "total": total,
        "unread": total,
        "count": len(messages[start : start + limit]),
        "messages_count": len(messages),
        "start": start,
        "tags": [],
        "messages": [summary(m) for m in messages[start : start + limit]],
    }


def create_app(
    folder: Path,
    smtp_port: int,
    host: str = "127.0.0.1",
    refusals: Mapping[str, str] | None = None,
) -> Starlette:
    """`refusals`: recipient address -> the SMTP reply that refuses it (`550 5.1.1 …`)."""
    store = MailStore(folder)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        keeper = _Keeper(store, refusals)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(keeper, hostname="gatehouse-mail", data_size_limit=MAX_MESSAGE_BYTES),
            host=host,
            port=smtp_port,
        )
        print(f"SMTP on {host}:{smtp_port}; messages kept in {folder}", flush=True)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    async def messages(request: Request) -> Response:
        if request.method == "DELETE":
            try:
                ids = await _ids(request)
            except ValueError as error:
                return PlainTextResponse(str(error), status_code=400)
            store.delete(ids)
            return PlainTextResponse("ok")
        start, limit = _page(request)
        everything = store.newest_first()
        return JSONResponse(_listing(everything, len(everything), start, limit))

    async def search(request: Request) -> Response:
        start, limit = _page(request)
        everything = store.newest_first()
        query = request.query_params.get("query", "")
        found = [m for m in everything if matches(m, query)]
        return JSONResponse(_listing(found, len(everything), start, limit))

    async def message(request: Request) -> Response:
        found = store.get(request.path_params["message_id"])
        if found is None:
            return PlainTextResponse("message not found", status_code=404)
        return JSONResponse(detail(found))

    async def inbox(request: Request) -> Response:
        page = inbox_pages.inbox([summary(m) for m in store.newest_first()])
        return HTMLResponse(page, headers=_PAGE_HEADERS)

    async def view(request: Request) -> Response:
        found = store.get(request.path_params["message_id"])
        if found is None:
            return HTMLResponse(inbox_pages.not_found(), 404, headers=_PAGE_HEADERS)
        return HTMLResponse(inbox_pages.message(detail(found)), headers=_PAGE_HEADERS)

    async def livez(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/", inbox),
            Route("/view/{message_id}", view),
            Route("/livez", livez),
            Route("/api/v1/messages", messages, methods=["GET", "DELETE"]),
            Route("/api/v1/search", search),
            Route("/api/v1/message/{message_id}", message),
        ],
        lifespan=lifespan,
    )


async def _ids(request: Request) -> list[str] | None:
    """Mailpit's DELETE body: `{"IDs": [...]}` deletes those; no body (or no IDs) all.
    A body that is not that shape deletes nothing (ValueError)."""
    body = await request.body()
    if not body.strip():
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        raise ValueError("the body is not JSON") from None
    ids = decoded.get("IDs") if isinstance(decoded, dict) else None
    if ids is None or ids == []:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError('expected {"IDs": ["…"]}')
    return ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.mailcatcher")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args(argv)
    app = create_app(args.folder, args.smtp_port)
    uvicorn.run(app, host="127.0.0.1", port=args.http_port, log_level="warning")


if __name__ == "__main__":
    main()
