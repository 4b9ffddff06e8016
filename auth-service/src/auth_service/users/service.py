"""Accounts: e-mail normalisation, creation, the bootstrap administrator."""

from __future__ import annotations

import logging
import re
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit import service as audit
from auth_service.audit.service import Event
from auth_service.errors import EmailTaken, LastAdmin, NotFound, ValidationFailed
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
    # Hashed first: no pooled connection is held while the hash waits for a worker.
    password_hash = await hasher.hash(password)
    if await repository.get_by_email(session, email) is not None:
        raise EmailTaken("An account with this email exists; log in instead")
    user = User(email=email, password_hash=password_hash, roles=roles)
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


ROLE_NAME = re.compile(r"^[a-z][a-z0-9_:.-]{0,63}$")


async def set_roles(
    session: AsyncSession, user_id: uuid.UUID, roles: list[str], actor: str
) -> User:
    """Takes effect at the user's next token (next refresh or log-in)."""
    for role in roles:
        if not ROLE_NAME.match(role):
            raise ValidationFailed("roles", f"'{role}' is not a valid role name")
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFound("No such user")
    new_roles = sorted(set(roles))
    losing_admin = user.is_admin and ADMIN_ROLE not in new_roles
    if losing_admin and await repository.count_with_role(session, ADMIN_ROLE) <= 1:
        raise LastAdmin("This is the last administrator; make another one first")
    old_roles = list(user.roles)
    user.roles, user.updated_at = new_roles, utcnow()
    await repository.save(session, user)
    await audit.record(
        session,
        Event.ROLES_CHANGED,
        actor=actor,
        subject=str(user.id),
        details={"before": old_roles, "after": new_roles},
    )
    return user


def scope_of(user_roles: list[str]) -> str:
    scopes = ["openid", "profile", "email"]
    if ADMIN_ROLE in user_roles:
        scopes.append(ADMIN_ROLE)
    return " ".join(scopes)
