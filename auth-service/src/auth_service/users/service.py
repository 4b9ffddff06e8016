"""Accounts: e-mail normalisation, creation, the bootstrap administrator."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.errors import EmailTaken
from auth_service.security.passwords import PasswordHasher
from auth_service.timeutil import utcnow
from auth_service.users import repository
from auth_service.users.models import ADMIN_ROLE, User

logger = logging.getLogger("auth_service.users")


def normalize_email(email: str) -> str:
    """Trimmed, domain case-folded; the local part keeps its case (uniqueness ignores it)."""
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.casefold()}"


async def create(
    session: AsyncSession, hasher: PasswordHasher, email: str, password: str, roles: list[str]
) -> User:
    email = normalize_email(email)
    if await repository.get_by_email(session, email) is not None:
        raise EmailTaken("An account with this email exists; log in instead")
    user = User(email=email, password_hash=await hasher.hash(password), roles=roles)
    try:
        async with session.begin_nested():
            await repository.add(session, user)
    except IntegrityError as exc:  # a concurrent sign-up with the same address won the race
        raise EmailTaken("An account with this email exists; log in instead") from exc
    return user


async def ensure_admin(
    session: AsyncSession, hasher: PasswordHasher, email: str, password: str
) -> None:
    """Like Keycloak's bootstrap admin: the account exists, has this password and the role."""
    user = await repository.get_by_email(session, normalize_email(email))
    if user is None:
        await create(session, hasher, email, password, [ADMIN_ROLE])
        logger.info("created the bootstrap administrator")
        return
    matches, _ = await hasher.verify(password, user.password_hash)
    if not matches:
        user.password_hash = await hasher.hash(password)
    if ADMIN_ROLE not in user.roles:
        user.roles = [*user.roles, ADMIN_ROLE]
    user.updated_at = utcnow()
    await repository.save(session, user)


def scope_of(user_roles: list[str]) -> str:
    scopes = ["openid", "profile", "email"]
    if ADMIN_ROLE in user_roles:
        scopes.append(ADMIN_ROLE)
    return " ".join(scopes)
