"""Accounts: creation, roles, the bootstrap administrator."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit import service as audit
from auth_service.audit.service import Event
from auth_service.errors import AppError, EmailTaken, LastAdmin, NotFound, ValidationFailed
from auth_service.security.passwords import PasswordHasher
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.service import end_user_sessions
from auth_service.timeutil import utcnow
from auth_service.users import repository
from auth_service.users.addresses import email_key, normalize_email
from auth_service.users.models import ADMIN_ROLE, User

logger = logging.getLogger("auth_service.users")


async def create(
    db: AsyncSession,
    hasher: PasswordHasher,
    email: str,
    password: str,
    roles: list[str],
    *,
    email_verified: bool = False,
) -> User:
    email = normalize_email(email)
    # Hashed first: no pooled connection is held while the hash waits for a worker.
    password_hash = await hasher.hash(password)
    if await repository.get_by_email(db, email) is not None:
        raise EmailTaken("An account with this email exists; log in instead")
    user = User(
        email=email,
        email_key=email_key(email),
        password_hash=password_hash,
        roles=roles,
        email_verified=email_verified,
    )
    try:
        async with db.begin_nested():
            await repository.add(db, user)
    except IntegrityError as exc:  # a concurrent sign-up with the same address won the race
        raise EmailTaken("An account with this email exists; log in instead") from exc
    return user


async def get(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await repository.get(db, user_id)


async def get_by_email(db: AsyncSession, email: str) -> User | None:
    return await repository.get_by_email(db, email)


async def page(db: AsyncSession, limit: int, offset: int) -> tuple[list[User], int]:
    return await repository.page(db, limit, offset)


async def is_admin(db: AsyncSession, user_id: uuid.UUID) -> bool:
    user = await repository.get(db, user_id)
    return user is not None and user.is_admin


async def end_sessions_by_admin(
    db: AsyncSession, ledger: RotationLedger, user_id: uuid.UUID, actor: str, now: datetime
) -> None:
    if await repository.get(db, user_id) is None:
        raise NotFound("No such user")
    ended = await end_user_sessions(db, ledger, user_id, "admin", now)
    await audit.record(
        db,
        Event.SESSIONS_ENDED_BY_ADMIN,
        actor=actor,
        subject=str(user_id),
        details={"sessions": len(ended)},
    )


class BootstrapConflict(AppError):
    status_code, code, title = 409, "bootstrap_conflict", "The account is not an administrator"


async def ensure_admin(
    db: AsyncSession,
    hasher: PasswordHasher,
    ledger: RotationLedger,
    email: str,
    password: str,
    *,
    force: bool,
    actor: str,
    now: datetime,
) -> User:
    """Like Keycloak's bootstrap admin: the account exists, has this password and the role.

    An existing account that is not an administrator (anyone can sign up with the address)
    is promoted only with `force`. A promotion or a password reset ends its sessions.
    """
    await repository.lock_bootstrap(db)
    user = await repository.get_by_email(db, email)
    if user is None:
        # The operator vouches for the address: no verification mail stands in the way.
        user = await create(db, hasher, email, password, [ADMIN_ROLE], email_verified=True)
        logger.info("created the bootstrap administrator")
        await audit.record(
            db,
            Event.BOOTSTRAP_ADMIN_APPLIED,
            actor=actor,
            subject=str(user.id),
            details={"created": True},
        )
        return user
    promote = ADMIN_ROLE not in user.roles
    if promote and not force:
        raise BootstrapConflict(
            "The bootstrap administrator's email belongs to an existing account that is not "
            "an administrator; refusing to promote it. Choose another email, or confirm with "
            "AUTH_BOOTSTRAP_ADMIN_FORCE=true (CLI: --force)"
        )
    matches, _ = await hasher.verify(password, user.password_hash)
    if not user.email_verified:
        user.email_verified = True
        await repository.save(db, user)
    if matches and not promote:
        return user
    if not matches:
        user.password_hash = await hasher.hash(password)
    if promote:
        user.roles = [*user.roles, ADMIN_ROLE]
    user.updated_at = utcnow()
    await repository.save(db, user)
    ended = await end_user_sessions(db, ledger, user.id, "bootstrap_admin", now)
    logger.warning(
        "bootstrap administrator applied to an existing account: promoted=%s password_reset=%s",
        promote,
        not matches,
    )
    await audit.record(
        db,
        Event.BOOTSTRAP_ADMIN_APPLIED,
        actor=actor,
        subject=str(user.id),
        details={"promoted": promote, "password_reset": not matches, "sessions": len(ended)},
    )
    return user


ROLE_NAME = re.compile(r"^[a-z][a-z0-9_:.-]{0,63}$")


async def set_roles(
    db: AsyncSession,
    ledger: RotationLedger,
    user_id: uuid.UUID,
    roles: list[str],
    actor: str,
    now: datetime,
) -> User:
    """A change ends the user's sessions: power comes from the current roles, not a token."""
    for role in roles:
        if not ROLE_NAME.match(role):
            raise ValidationFailed("roles", f"'{role}' is not a valid role name")
    # The administrators' rows stay locked until commit, so the last-admin guard holds
    # against concurrent demotions (each counts after the other one committed).
    admins = await repository.lock_admins(db, ADMIN_ROLE)
    user = await repository.get_for_update(db, user_id)
    if user is None:
        raise NotFound("No such user")
    new_roles = sorted(set(roles))
    losing_admin = user.is_admin and ADMIN_ROLE not in new_roles
    if losing_admin and len(admins) <= 1:
        raise LastAdmin("This is the last administrator; make another one first")
    old_roles = list(user.roles)
    if new_roles == sorted(old_roles):
        return user
    user.roles, user.updated_at = new_roles, utcnow()
    await repository.save(db, user)
    ended = await end_user_sessions(db, ledger, user.id, "roles_changed", now)
    await audit.record(
        db,
        Event.ROLES_CHANGED,
        actor=actor,
        subject=str(user.id),
        details={"before": old_roles, "after": new_roles, "sessions_ended": len(ended)},
    )
    return user
