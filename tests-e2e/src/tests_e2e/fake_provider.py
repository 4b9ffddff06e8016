"""The web pages of an application's sign-in, before the auth service has its OpenID Provider
endpoints: `FakeProvider` answers those endpoints in the browser (Playwright routes) as
they are agreed (DESIGN.md, "OpenID Connect provider"), and `RelyingParty` is the
application, a real HTTP server on http://127.0.0.1:<port>: another site than the gateway
on http://localhost, so the browser applies SameSite to its navigations as in production.

Everything else is the real stack: the log-in, the session, the refresh cookie. A Bearer
token the pages send is checked against the real auth service (`/api/auth/me`).
"""

from __future__ import annotations

import base64
import html
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from playwright.async_api import BrowserContext, Route

REQUEST_ID = "req_" + "A1b2" * 10  # the shape of the auth service's ids: URL-safe, long
SCOPES = [
    {"scope": "openid", "text": "Know who you are"},
    {"scope": "email", "text": "See your email address"},
    {"scope": "offline_access", "text": "Stay connected while you're away"},
]

# What "Connected apps" lists for the pages' tests and screenshots (GET /grants).
SAMPLE_GRANTS = [
    {
        "client_id": "photo-book",
        "name": "Photo Book",
        "scopes": ["openid", "email", "offline_access"],
        "granted_at": "2026-11-02T09:30:00Z",
    },
    {
        "client_id": "grafana",
        "name": "Grafana (the team's dashboards, on the big screen in the hall)",
        "scopes": ["openid", "profile"],
        "granted_at": "2026-12-01T17:05:00Z",
    },
]


class RelyingParty:
    """The application: `/` links to the authorization endpoint, `/callback` and
    `/logged-out` show what the browser brought back (as text)."""

    def __init__(self, gateway: str) -> None:
        self.gateway = gateway
        handler = self._handler()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def authorize_url(self, **extra: str) -> str:
        query = {
            "client_id": "photo-book",
            "response_type": "code",
            "redirect_uri": f"{self.url}/callback",
            "scope": "openid email offline_access",
            "state": "st4te",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{self.gateway}/api/auth/oauth/authorize?{urlencode(query)}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        rp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path)
                if path.path == "/":
                    link = html.escape(rp.authorize_url())
                    body = f'<h1>Photo Book</h1><a href="{link}">Sign in with Gatehouse</a>'
                else:
                    shown = html.escape(json.dumps(parse_qs(path.query), sort_keys=True))
                    title = f"<h1>Photo Book {html.escape(path.path)}</h1>"
                    body = f"{title}<pre id=query>{shown}</pre>"
                page = f"<!doctype html><title>Photo Book</title>{body}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    @classmethod
    def not_listening(cls, gateway: str) -> RelyingParty:
        """The application's URLs only, for a page that never goes back to it."""
        app = cls(gateway)
        app._server.server_close()
        return app

    def __enter__(self) -> RelyingParty:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified: the real auth service vouched for it already."""
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return claims


@dataclass
class Call:
    method: str
    path: str
    email: str | None  # whose valid Bearer token came with it; None without one
    body: Any


@dataclass
class FakeProvider:
    """The auth service's side of the contract for one request (REQUEST_ID) of `rp`."""

    gateway: str
    rp: RelyingParty
    client_name: str = "Photo Book"
    login_hint: str | None = None
    fresh: bool = False  # prompt=login: a log-in newer than the request is needed
    post_logout_url: str | None = None
    grants: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)

    async def install(self, context: BrowserContext) -> None:
        await context.route("**/api/auth/oauth/**", self._oauth)
        await context.route("**/api/auth/grants**", self._grants)

    def paths(self, method: str | None = None) -> list[str]:
        return [c.path for c in self.calls if method is None or c.method == method]

    async def _bearer_email(self, route: Route) -> tuple[str | None, dict[str, Any]]:
        header = route.request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return None, {}
        async with httpx.AsyncClient(base_url=self.gateway, timeout=30) as client:
            me = await client.get("/api/auth/me", headers={"Authorization": header})
        if me.status_code != 200:
            return None, {}
        return str(me.json()["email"]), _claims(header.removeprefix("Bearer "))

    async def _json(self, route: Route, body: Any, status: int = 200) -> None:
        kind = "application/problem+json" if status >= 400 else "application/json"
        await route.fulfill(status=status, content_type=kind, body=json.dumps(body))

    def _back(self, **query: str) -> str:
        issuer = f"{self.gateway}/api/auth"
        return f"{self.rp.url}/callback?{urlencode({**query, 'state': 'st4te', 'iss': issuer})}"

    def _decision(self, email: str | None, claims: dict[str, Any]) -> dict[str, Any]:
        if email is None:
            return {"action": "login", "fresh": self.fresh, "login_hint": self.login_hint}
        if self.fresh and float(claims.get("auth_time", 0)) < self.created_at:
            return {"action": "login", "fresh": True, "login_hint": self.login_hint}
        client = {"client_id": "photo-book", "name": self.client_name}
        return {"action": "consent", "client": client, "scopes": SCOPES}

    async def _oauth(self, route: Route) -> None:
        request = route.request
        path = urlsplit(request.url).path.removeprefix("/api/auth/oauth")
        email, claims = await self._bearer_email(route)
        body = request.post_data_json if request.method == "POST" else None
        self.calls.append(Call(request.method, path, email, body))
        unknown = {"status": 404, "code": "authorization_request_unknown", "title": "Unknown"}
        if path == "/authorize" and request.method == "GET":
            location = f"{self.gateway}/authorize?request={REQUEST_ID}"
            await route.fulfill(status=303, headers={"Location": location})
        elif path == f"/authorize/{REQUEST_ID}" and request.method == "POST":
            await self._json(route, self._decision(email, claims))
        elif path == f"/authorize/{REQUEST_ID}" and email is not None:
            client = {"client_id": "photo-book", "name": self.client_name}
            await self._json(route, {"client": client, "scopes": SCOPES})
        elif path == f"/authorize/{REQUEST_ID}/consent" and email is not None:
            allowed = bool(body and body.get("allow"))
            url = self._back(code="c0de") if allowed else self._back(error="access_denied")
            await self._json(route, {"action": "redirect", "url": url})
        elif path == f"/logout/{REQUEST_ID}" and request.method == "POST":
            await self._json(route, {"url": self.post_logout_url})
        elif path.startswith(("/authorize/", "/logout/")):
            await self._json(route, unknown, status=404)
        else:
            await self._json(route, {"status": 401, "title": "Unauthorized"}, status=401)

    async def _grants(self, route: Route) -> None:
        request = route.request
        path = urlsplit(request.url).path.removeprefix("/api/auth")
        email, _ = await self._bearer_email(route)
        self.calls.append(Call(request.method, path, email, None))
        if email is None:
            await self._json(route, {"status": 401, "title": "Unauthorized"}, status=401)
        elif request.method == "GET":
            await self._json(route, self.grants)
        else:
            client_id = path.rsplit("/", 1)[-1]
            self.grants = [g for g in self.grants if g["client_id"] != client_id]
            await route.fulfill(status=204)
