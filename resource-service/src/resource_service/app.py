"""The application factory and its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from auth_client import AuthClient, RevocationFeed
from auth_client.fastapi import install_auth
from auth_client.metrics import AuthClientCollector
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from service_kit import db
from service_kit.app import create_service_app
from service_kit.logs import configure_logging
from service_kit.observability import HttpMetrics

from resource_service.admin.router import router as admin_router
from resource_service.config import Settings, get_settings
from resource_service.context import ResourceContext
from resource_service.health.router import router as health_router
from resource_service.identity.router import router as identity_router
from resource_service.notes.router import router as notes_router

# The gateway routes /api/resource/… here without stripping the prefix.
PREFIX = "/api/resource"


def build_revocation_feed(settings: Settings) -> RevocationFeed | None:
    """The revocation feed, when this service has credentials for it (see config.py)."""
    secret = settings.revocation_client_secret
    if settings.revocation_client_id is None or secret is None:
        return None
    return RevocationFeed(
        settings.revocation_url or settings.issuer,
        settings.revocation_client_id,
        secret.get_secret_value(),
        poll_wait=settings.revocation_poll_wait,
        fail_closed_after=settings.revocation_fail_closed_after,
    )


def build_auth_client(settings: Settings) -> AuthClient:
    return AuthClient(
        revocations=build_revocation_feed(settings),
        issuer=settings.issuer,
        audience=settings.audience,
        jwks_url=settings.jwks_url,
        leeway=settings.leeway,
        refetch_interval=settings.jwks_refetch_interval,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("resource-service", settings.log_level, settings.log_format)
    # Built here (no I/O), started in the lifespan: it fetches keys and owns an HTTP client.
    auth = build_auth_client(settings)
    registry = CollectorRegistry(auto_describe=True)
    http_metrics = HttpMetrics(registry)
    registry.register(AuthClientCollector(auth))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.create_engine(
            settings.database_url, settings.database_pool_size, settings.database_pool_timeout
        )
        sessions = db.session_factory(engine)
        app.state.context = ResourceContext(settings, engine, sessions)
        app.state.sessionmaker = sessions  # service_kit.deps.DbDep
        try:
            async with auth:
                yield
        finally:
            await engine.dispose()

    app = create_service_app(
        title="Gatehouse resource service",
        description="An example API protected by access tokens verified locally.",
        prefix=PREFIX,
        settings=settings,
        lifespan=lifespan,
        registry=registry,
        http_metrics=http_metrics,
        dependency_errors=db.DATABASE_DOWN_ERRORS,
    )
    install_auth(app, auth)

    api = APIRouter(prefix=PREFIX)
    for router in (identity_router, notes_router, admin_router, health_router):
        api.include_router(router)
    app.include_router(api)
    return app
