"""The two pages the auth service serves itself: the error page of an authorization
request that cannot go back to its application, and the form_post answer (OAuth 2.0 Form
Post Response Mode), a form that posts itself to the application."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse

_SUBMIT = "document.forms[0].submit();"
_SUBMIT_HASH = base64.b64encode(hashlib.sha256(_SUBMIT.encode()).digest()).decode()
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def error_page(description: str, status: int = 400) -> HTMLResponse:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Sign-in error</title>"
        "<main><h1>This sign-in request cannot go on</h1>"
        f"<p>{escape(description)}</p><p>Go back to the application and try again.</p></main>"
    )
    headers = {**_HEADERS, "Content-Security-Policy": "default-src 'none'"}
    return HTMLResponse(body, status_code=status, headers=headers)


def form_post(redirect_uri: str, params: dict[str, str]) -> HTMLResponse:
    fields = "".join(
        f'<input type=hidden name="{escape(name)}" value="{escape(value)}">'
        for name, value in params.items()
    )
    parts = urlsplit(redirect_uri)
    target = f"{parts.scheme}://{parts.netloc}" if parts.netloc else redirect_uri
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Signing you in</title>"
        f'<form method=post action="{escape(redirect_uri)}">{fields}'
        "<noscript><button>Continue</button></noscript></form>"
        f"<script>{_SUBMIT}</script>"
    )
    csp = f"default-src 'none'; script-src 'sha256-{_SUBMIT_HASH}'; form-action {target}"
    return HTMLResponse(body, headers={**_HEADERS, "Content-Security-Policy": csp})
