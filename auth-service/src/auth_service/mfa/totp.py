"""TOTP after RFC 6238 with pyotp: 30-second steps, 6 digits, one step of drift either way;
and the QR code of the `otpauth://` URI, as SVG, made here with segno (no network)."""

from __future__ import annotations

import hmac
import io

import pyotp
import segno

ISSUER = "Gatehouse"
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the step before or after the current one is accepted too


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends and authenticator apps expect."""
    return pyotp.random_base32(32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def provisioning_uri(secret: str, account: str) -> str:
    return _totp(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a QR code: a standalone SVG document, dark on light, with a quiet zone.

    Standalone means with its `xmlns` (segno's `svg_inline` leaves it out, for SVG inside
    HTML): a browser draws an SVG loaded as an image, as the web app loads this one, only
    when the namespace is declared."""
    out = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=4,
        dark="#000",
        light="#fff",
        title="QR code for your authenticator app",
    )
    return out.getvalue().decode("utf-8")


def normalized(code: str) -> str:
    """What the person typed, without spaces (apps show "123 456")."""
    return "".join(code.split())


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (counter) within the drift window whose code this is, or None."""
    code = normalized(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp, current = _totp(secret), int(now // STEP_SECONDS)
    for step in range(current + DRIFT_STEPS, current - DRIFT_STEPS - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
