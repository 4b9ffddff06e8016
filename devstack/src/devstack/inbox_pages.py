"""The mail catcher's two HTML pages: the inbox and one message. Server-rendered, no
script; a message's HTML body is shown in a sandboxed frame, its links open in a new tab."""

from __future__ import annotations

import re
from html import escape
from typing import Any

_URL = re.compile(r"https?://[^\s<>\"']+")
_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1c2430; background: #f6f7f9; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: .55rem .7rem; border-bottom: 1px solid #dde1e6; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: #4a5563; }
a { color: #1248b3; }
pre { white-space: pre-wrap; background: #fff; padding: 1rem; border: 1px solid #dde1e6; }
iframe { width: 100%; height: 32rem; border: 1px solid #dde1e6; background: #fff; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
"""
# No script anywhere; styles are this page's own; a message's HTML runs in a sandbox.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'"


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Gatehouse mail</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _who(addresses: list[dict[str, str]]) -> str:
    return ", ".join(a["Address"] for a in addresses)


def inbox(messages: list[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td><a href="/view/{escape(m["ID"])}">{escape(m["Subject"] or "(no subject)")}'
        f"</a></td><td>{escape(_who(m['To']))}</td><td>{escape(m['From']['Address'])}</td>"
        f"<td>{escape(m['Created'])}</td></tr>"
        for m in messages
    )
    table = (
        "<table><thead><tr><th>Subject</th><th>To</th><th>From</th><th>Received</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        if messages
        else "<p>No mail yet. Mail the local stack sends lands here.</p>"
    )
    return _document("Inbox", f"<h1>Inbox ({len(messages)})</h1>{table}")


def _linked(text: str) -> str:
    """The text escaped, with its URLs as links (reset and verification links)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        out.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def message(detail: dict[str, Any]) -> str:
    facts = (
        f"<dl><dt>From</dt><dd>{escape(detail['From']['Address'])}</dd>"
        f"<dt>To</dt><dd>{escape(_who(detail['To']))}</dd>"
        f"<dt>Date</dt><dd>{escape(detail['Date'])}</dd></dl>"
    )
    parts = [f'<p><a href="/">← Inbox</a></p><h1>{escape(detail["Subject"])}</h1>', facts]
    if detail["HTML"]:
        framed = '<base target="_blank">' + detail["HTML"]
        parts.append(
            '<h2>HTML</h2><iframe title="The message as HTML" '
            f'sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="{escape(framed)}">'
            "</iframe>"
        )
    if detail["Text"]:
        parts.append(f"<h2>Text</h2><pre>{_linked(detail['Text'])}</pre>")
    return _document(detail["Subject"] or "Message", "".join(parts))


def not_found() -> str:
    return _document("Not found", '<h1>No such message</h1><p><a href="/">← Inbox</a></p>')
