"""Email addresses: the stored form, the one key every look-up compares, and what a new
address must be (one the mail relay can take, with no mixed-script look-alike parts).

Imports nothing of the service: the migrations use `email_key` too.
"""

from __future__ import annotations

import unicodedata

import idna
from confusable_homoglyphs import categories
from email_validator import EmailNotValidError, validate_email

# UTS #39's "Highly Restrictive" level: one script, or one of these mixes (Japanese,
# Chinese with Bopomofo, Korean), each with Latin. Common and Inherited go with any.
_NEUTRAL = frozenset({"COMMON", "INHERITED"})
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def normalize_email(email: str) -> str:
    """NFKC (a fullwidth address is its ASCII form), trimmed, domain case-folded; the
    local part keeps its case (the key ignores it)."""
    local, _, domain = unicodedata.normalize("NFKC", email).strip().rpartition("@")
    return f"{local}@{domain.casefold()}"


def _folded(text: str) -> str:
    """Unicode's NFKC_Casefold, as its definition builds it: "İ" and "i̇" are one, and
    capital, small and final sigma are one (PostgreSQL's lower() and str.lower() differ
    on both)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def email_key(email: str) -> str:
    """What makes two spellings one address: the NFKC-casefolded local part and the
    domain's ASCII (IDNA) form, so "bücher.de" and "xn--bcher-kva.de" are one domain. The
    only comparison of addresses: stored in `users.email_key` (unique) and computed the
    same way for every look-up."""
    local, _, domain = normalize_email(email).rpartition("@")
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:  # kept from before the checks on new addresses: folded only
        domain = _folded(domain)
    return f"{_folded(local)}@{domain}"


def _mixes_scripts(text: str) -> bool:
    scripts = categories.unique_aliases(text) - _NEUTRAL
    return len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES)


def new_address_problem(email: str, *, smtputf8: bool) -> str | None:
    """Why a new address (sign-up, email change) is refused, or None. The relay must be
    able to take it: without SMTPUTF8, the part before the @ is ASCII (an international
    domain goes out in its ASCII form). A look-alike of another address is refused where
    UTS #39 would flag it: a local part or a domain label that mixes scripts."""
    try:
        parts = validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    if parts.smtputf8 and not smtputf8:
        return "Mail cannot be delivered to an address with non-ASCII letters before the @"
    if _mixes_scripts(parts.local_part):
        return "The part before the @ mixes alphabets (a look-alike of another address)"
    if any(_mixes_scripts(label) for label in parts.domain.split(".")):
        return "The domain mixes alphabets (a look-alike of another domain)"
    return None


def ascii_address(email: str) -> str:
    """The address as a relay without SMTPUTF8 takes it: an international domain in its
    ASCII form; unchanged when that cannot be made (the relay then says why)."""
    local, _, domain = email.rpartition("@")
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return email
