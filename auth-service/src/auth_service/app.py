"""The application factory and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

from fastapi import APIRouter, FastAPI
from service_kit import db
from service_kit.app import create_service_app
from service_kit.logs import configure_logging

from auth_service.admin.router import router as admin_router
from auth_service.auth.ratelimit import LoginLimiter
from auth_service.auth.router import router as auth_router
from auth_service.config import Settings, get_settings
from auth_service.context import AuthContext
from auth_service.health.router import router as health_router
from auth_service.keys.service import KeyStore, ensure_keys, status_of
from auth_service.kv import REDIS_DOWN_ERRORS, create_redis
from auth_service.oauth.router import router as oauth_router
from auth_service.observability.metrics import Metrics
from auth_service.security.encryption import key_encryptor
from auth_service.security.passwords import PasswordHasher
from auth_service.sessions.denylist import Denylist
from auth_service.sessions.router import router as sessions_router
from auth_service.timeutil import utcnow
from auth_service.users import service as accounts
from auth_service.wellknown.router import router as wellknown_router

PREFIX = "/api/auth"

logger = logging.getLogger("auth_service")


async def _build_context(settings: Settings, metrics: Metrics) -> AuthContext:
    engine = db.create_engine(
        settings.database_url, settings.database_pool_size, settings.database_pool_timeout
    )
    sessions = db.session_factory(engine)
    redis = create_redis(settings.redis_url)
    encryptor = key_encryptor(settings)
    hasher = PasswordHasher(
        settings.argon2_memory_cost,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
        settings.password_hash_concurrency,
    )
    keys = KeyStore(sessions, encryptor)
    try:
        async with sessions() as session, session.begin():
            await ensure_keys(session, encryptor, settings.signing_key_bits)
        await keys.reload()
        await hasher.warm_up()
    except BaseException:
        await redis.aclose()
        await engine.dispose()
        raise
    return AuthContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis,
        keys=keys,
        hasher=hasher,
        denylist=Denylist(redis, settings.refresh_token_ttl, settings.refresh_reuse_grace),
        login_limiter=LoginLimiter(
            redis,
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_ip,
            settings.login_failure_window,
            metrics,
            delay_after=settings.login_delay_after_failures,
            max_delay=settings.login_max_delay,
        ),
        metrics=metrics,
    )


async def _bootstrap_admin(ctx: AuthContext) -> None:
    """Fails start-up loudly when the email is an existing non-admin account, unless
    AUTH_BOOTSTRAP_ADMIN_FORCE=true: a sign-up must never be promoted silently."""
    s = ctx.settings
    if s.bootstrap_admin_email and s.bootstrap_admin_password:
        try:
            async with ctx.sessions() as session, session.begin():
                await accounts.ensure_admin(
                    session,
                    ctx.hasher,
                    ctx.denylist,
                    s.bootstrap_admin_email,
                    s.bootstrap_admin_password.get_secret_value(),
                    force=s.bootstrap_admin_force,
                    actor="bootstrap",
                )
        except accounts.BootstrapConflict as exc:
            logger.error("AUTH_BOOTSTRAP_ADMIN_EMAIL: %s", exc.detail)
            raise


async def _reload_keys_forever(keys: KeyStore, interval: float) -> None:
    """Replicas pick up keys that another replica (or the CLI) created or retired."""
    while True:
        await asyncio.sleep(interval)
        try:
            await keys.reload()
        except Exception:
            logger.warning("key reload failed; keeping the current keys", exc_info=True)


def _key_ages(keys: KeyStore) -> Iterable[tuple[str, str, float]]:
    now = utcnow()
    for key in keys.ring.published(now):
        yield key.kid, status_of(key, now), (now - key.created_at).total_seconds()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("auth-service", settings.log_level)
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await _build_context(settings, metrics)
        app.state.context = ctx
        app.state.sessions = ctx.sessions  # service_kit.deps.SessionDep
        metrics.watch_keys(lambda: _key_ages(ctx.keys))
        try:
            await _bootstrap_admin(ctx)
        except BaseException:
            await ctx.redis.aclose()
            await ctx.engine.dispose()
            raise
        reloader = asyncio.create_task(_reload_keys_forever(ctx.keys, settings.key_reload_interval))
        try:
            yield
        finally:
            reloader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reloader
            await ctx.redis.aclose()
            await ctx.engine.dispose()

    app = create_service_app(
        title="Gatehouse auth service",
        prefix=PREFIX,
        settings=settings,
        lifespan=lifespan,
        registry=metrics.registry,
        http_metrics=metrics.http,
        dependency_errors=db.DATABASE_DOWN_ERRORS + REDIS_DOWN_ERRORS,
        on_dependency_error=lambda dependency: metrics.dependency_errors.labels(dependency).inc(),
    )
    api = APIRouter(prefix=PREFIX)
    routers = (
        auth_router,
        sessions_router,
        oauth_router,
        admin_router,
        wellknown_router,
        health_router,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    return app
