"""The mails' texts: a plain-text and an HTML body each, from Jinja2 templates (the HTML
ones autoescaped), and a subject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

SUBJECTS = {
    "reset_password": "Reset your Gatehouse password",
    "verify_email": "Confirm your email address",
    "account_exists": "You already have a Gatehouse account",
    "email_change_confirm": "Confirm your new email address",
    "email_change_notice": "Your Gatehouse email address is changing",
    "password_changed": "Your Gatehouse password was changed",
    "passkey_added": "A passkey was added to your Gatehouse account",
    "passkey_removed": "A passkey was removed from your Gatehouse account",
    "totp_enabled": "Two-step log-in was turned on for your Gatehouse account",
    "totp_disabled": "Two-step log-in was turned off for your Gatehouse account",
    "recovery_codes_renewed": "New recovery codes were made for your Gatehouse account",
    "sign_in_code": "Your Gatehouse sign-in code",
    "factors_removed": "Your Gatehouse passkeys and apps were removed",
}


@dataclass(frozen=True)
class RenderedMail:
    kind: str
    subject: str
    text: str
    html: str


class MailTemplates:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("auth_service.mail", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,  # a missing value fails here, not as a blank in a mail
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, kind: str, **values: Any) -> RenderedMail:
        if kind not in SUBJECTS:
            raise ValueError(f"no mail template {kind!r}")
        subject = SUBJECTS[kind]
        text = self._env.get_template(f"{kind}.txt").render(subject=subject, **values)
        html = self._env.get_template(f"{kind}.html").render(subject=subject, **values)
        return RenderedMail(kind=kind, subject=subject, text=text, html=html)
