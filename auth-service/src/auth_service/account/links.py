"""The tokens of mailed links: 256 random bits, stored as sha256 only, single use, one live
token per account and purpose (a new one voids the older), expiring.

A link carries its token in the URL fragment (`/reset-password#token=…`): a fragment never
reaches a server, a log, a `Referer` or a mail scanner's GET; the page POSTs it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account import repository
from auth_service.account.models import AccountToken
from auth_service.errors import LinkExpired, LinkReplaced, LinkTokenRejected, LinkUsed
from auth_service.users import repository as users


class Purpose(StrEnum):
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a secret)
    VERIFY_EMAIL = "verify_email"
    CHANGE_EMAIL = "change_email"


LIFETIMES = {
    Purpose.RESET_PASSWORD: timedelta(minutes=30),
    Purpose.VERIFY_EMAIL: timedelta(hours=24),
    Purpose.CHANGE_EMAIL: timedelta(hours=1),
}
# The web app's page for each link.
PAGES = {
    Purpose.RESET_PASSWORD: "/reset-password",
    Purpose.VERIFY_EMAIL: "/verify-email",
    Purpose.CHANGE_EMAIL: "/confirm-email",
}
# What secrets.token_urlsafe(32) makes: 43 characters of base64url.
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_NOBODY = uuid.UUID(int=0)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    db: AsyncSession, user_id: uuid.UUID, purpose: Purpose, email: str, now: datetime
) -> str:
    """A new link token for the account (mailed to `email`); older ones of this purpose die.

    The account's row is locked first, so two requests at once leave exactly one live token.
    """
    await users.get_for_update(db, user_id)
    await repository.replace_live(db, user_id, [purpose.value], now)
    token = secrets.token_urlsafe(32)
    await repository.add(
        db,
        AccountToken(
            user_id=user_id,
            purpose=purpose.value,
            token_hash=token_hash(token),
            email=email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        ),
    )
    return token


async def issue_for_nobody(db: AsyncSession, purpose: Purpose, now: datetime) -> str:
    """The same work as `issue` for an email without an account, so that the answer takes
    about as long; nothing is stored."""
    await users.get_for_update(db, _NOBODY)
    await repository.replace_live(db, _NOBODY, [purpose.value], now)
    token = secrets.token_urlsafe(32)
    token_hash(token)
    return token


async def void_all(db: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """Every live link of the account dies (its email changed: they went to the old one)."""
    await repository.replace_live(db, user_id, [p.value for p in Purpose], now)


async def check(db: AsyncSession, token: str, purpose: Purpose, now: datetime) -> AccountToken:
    """The live token's row, left unused; else a 400 that says why the link does not work."""
    if not _SHAPE.match(token):
        raise LinkTokenRejected("This link is not valid: copy the whole link from the mail")
    found = await repository.find(db, token_hash(token))
    if found is None or found.purpose != purpose.value:
        raise LinkTokenRejected("This link is not valid: copy the whole link from the mail")
    if found.used_at is not None:
        raise LinkUsed("This link was already used; ask for a new one if you need it")
    if found.replaced_at is not None:
        raise LinkReplaced("A newer link was sent; use the most recent mail")
    if found.expires_at <= now:
        raise LinkExpired("This link has expired; ask for a new one")
    return found


async def spend(db: AsyncSession, token: str, purpose: Purpose, now: datetime) -> AccountToken:
    """The live token's row, now used (once: of two racing uses one wins); else a 400."""
    if _SHAPE.match(token):
        spent = await repository.spend(db, token_hash(token), purpose.value, now)
        if spent is not None:
            return spent
    await check(db, token, purpose, now)  # raises why
    raise LinkUsed("This link was already used; ask for a new one if you need it")
