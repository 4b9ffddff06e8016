"""Recovery codes: ten single-use codes, easy to type, kept only as keyed hashes.

A code is 10 characters of lowercase base32 (50 random bits) shown as `xxxxx-xxxxx`; it is
read without regard to case, spaces or dashes (and 0/1 as o/l, which base32 lacks).

Why a fast keyed hash and not a password hash: each code is random, not chosen, and can
only be tried online (5 codes per log-in, the account's failed log-in limits); the HMAC key
is secret, so a copy of the database alone cannot test guesses.

The HMAC key comes from the user's own TOTP seed (HKDF), not from the key-encryption key:
the seed is sealed under that key and re-sealed when it changes, so the codes keep working
after the previous key is removed (a digest cannot be recomputed without its code). The
codes exist only while the TOTP they belong to does. Codes made before this (keyed by the
key-encryption key) are still matched, see `MfaService`.
"""

from __future__ import annotations

import hmac
import secrets
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

COUNT = 10
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_GROUP = 5
_TYPED_AS = str.maketrans({"0": "o", "1": "l", "-": None, " ": None, "\t": None})


def new_codes() -> list[str]:
    return [_new_code() for _ in range(COUNT)]


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(2 * _GROUP))
    return f"{raw[:_GROUP]}-{raw[_GROUP:]}"


def normalized(code: str) -> str | None:
    """The code's canonical form, or None when it cannot be a recovery code."""
    plain = code.strip().lower().translate(_TYPED_AS)
    if len(plain) != 2 * _GROUP or any(c not in _ALPHABET for c in plain):
        return None
    return plain


def hash_message(user_id: uuid.UUID, code: str) -> bytes:
    """What is hashed: the user's id and the canonical code (the same code of two users
    hashes apart)."""
    return user_id.bytes + code.encode()


def digest(seed: bytes, user_id: uuid.UUID, code: str) -> str:
    """The stored form of a canonical code: HMAC-SHA256 under a key derived from the seed."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"gatehouse-recovery-v2", info=b"codes"
    ).derive(seed)
    return hmac.new(key, hash_message(user_id, code), "sha256").hexdigest()
