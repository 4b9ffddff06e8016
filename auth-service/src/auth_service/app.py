"""The application factory and its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from service_kit import db, memory
from service_kit.app import create_service_app
from service_kit.logs import configure_logging

from auth_service import registry, startup
from auth_service.account.router import router as account_router
from auth_service.account.signin_router import router as sign_in_router
from auth_service.admin.router import router as admin_router
from auth_service.auth.router import router as auth_router
from auth_service.config import Settings, get_settings
from auth_service.health.router import router as health_router
from auth_service.kv import REDIS_DOWN_ERRORS
from auth_service.mfa.router import router as mfa_router
from auth_service.oauth.router import router as oauth_router
from auth_service.oauth.token_status_router import router as token_status_router
from auth_service.observability.metrics import Metrics
from auth_service.oidc.grants import router as grants_router
from auth_service.oidc.logout import router as logout_router
from auth_service.oidc.par import router as par_router
from auth_service.oidc.router import router as oidc_router
from auth_service.oidc.userinfo import router as userinfo_router
from auth_service.registration.router import router as registration_router
from auth_service.registry import Registry
from auth_service.revocations.router import router as revocations_router
from auth_service.sessions.router import router as sessions_router
from auth_service.timeutil import Clock
from auth_service.webauthn.router import router as webauthn_router
from auth_service.wellknown.router import router as wellknown_router

PREFIX = "/api/auth"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The service; `clock` is what decides by time (the system clock unless a test's)."""
    settings = settings or get_settings()
    configure_logging("auth-service", settings.log_level, settings.log_format)
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Registry]]:
        memory.tune_allocator()  # before the hashing threads exist
        async with registry.build(settings, metrics, clock) as built, startup.serving(built):
            yield {"registry": built}  # each request's `request.state.registry` (deps.py)

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
        account_router,
        sign_in_router,
        mfa_router,
        sessions_router,
        oauth_router,
        oidc_router,
        userinfo_router,
        grants_router,
        par_router,
        registration_router,
        logout_router,
        token_status_router,
        revocations_router,
        admin_router,
        webauthn_router,
        wellknown_router,
        health_router,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    return app
