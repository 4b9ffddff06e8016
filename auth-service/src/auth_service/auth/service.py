"""Sign-up and log-in."""

from __future__ import annotations

import logging

from service_kit.db import release_connection
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit.service import Event, record, record_committed
from auth_service.context import AuthContext
from auth_service.errors import InvalidCredentials, ValidationFailed
from auth_service.security.passwords import password_problem
from auth_service.sessions import service as sessions
from auth_service.sessions.service import TokenPair
from auth_service.timeutil import utcnow
from auth_service.users import repository as users
from auth_service.users import service as accounts

logger = logging.getLogger("auth_service.auth")


async def sign_up(
    db: AsyncSession, ctx: AuthContext, *, email: str, password: str, user_agent: str, ip: str
) -> TokenPair:
    problem = password_problem(password, email)
    if problem:
        raise ValidationFailed("password", problem)
    user = await accounts.create(db, ctx.hasher, email, password, roles=[])
    logger.info("sign-up user=%s", user.id)
    pair = await sessions.start(
        db, ctx, user_id=user.id, email=user.email, roles=user.roles, user_agent=user_agent, ip=ip
    )
    await record(db, Event.SIGNUP, actor=str(user.id), subject=user.email, session_id=pair.sid)
    return pair


async def log_in(
    db: AsyncSession, ctx: AuthContext, *, email: str, password: str, user_agent: str, ip: str
) -> TokenPair:
    email = accounts.normalize_email(email)
    attempt = await ctx.login_limiter.reserve_login(email, ip)  # before any connection
    user = await users.get_by_email(db, email)
    await release_connection(db)  # not held while waiting for the hasher
    # An unknown email costs the same hash verification, so timing does not tell.
    matches, new_hash = await ctx.hasher.verify(password, user.password_hash if user else None)
    if user is None or not matches:
        ctx.metrics.logins.labels("failed").inc()
        logger.info("log-in failed")
        # The 401 rolls the request's transaction back: this event is committed first.
        await record_committed(
            db, Event.LOGIN_FAILED, subject=email, details={"known_account": user is not None}
        )
        raise InvalidCredentials("Wrong email or password")
    await ctx.login_limiter.release(attempt)
    if new_hash is not None:  # parameters changed or a legacy scheme: upgrade in place
        user.password_hash, user.updated_at = new_hash, utcnow()
        await users.save(db, user)
    logger.info("log-in user=%s", user.id)
    ctx.metrics.logins.labels("succeeded").inc()
    pair = await sessions.start(
        db, ctx, user_id=user.id, email=user.email, roles=user.roles, user_agent=user_agent, ip=ip
    )
    await record(
        db, Event.LOGIN_SUCCEEDED, actor=str(user.id), subject=user.email, session_id=pair.sid
    )
    return pair
