"""The application factory and its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from auth_client import AuthClient
from auth_client.docs import install_docs
from auth_client.fastapi import install_auth
from auth_client.observability import (
    AuthClientCollector,
    HttpMetrics,
    LastResortErrors,
    RequestObservability,
    configure_logging,
    forwarded_client_ip,
)
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from resource_service import db
from resource_service.admin.router import router as admin_router
from resource_service.config import Settings, get_settings
from resource_service.context import ResourceContext
from resource_service.errors import install_error_handlers
from resource_service.health.router import router as health_router
from resource_service.identity.router import router as identity_router
from resource_service.middleware import BodySizeLimit
from resource_service.notes.router import router as notes_router

# The gateway routes /api/resource/… here without stripping the prefix.
PREFIX = "/api/resource"


def build_auth_client(settings: Settings) -> AuthClient:
    return AuthClient(
        issuer=settings.issuer,
        audience=settings.audience,
        jwks_url=settings.jwks_url,
        leeway=settings.leeway,
        refetch_interval=settings.jwks_refetch_interval,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("resource-service", settings.log_level)
    # Built here (no I/O), started in the lifespan: it fetches keys and owns an HTTP client.
    auth = build_auth_client(settings)
    registry = CollectorRegistry(auto_describe=True)
    http_metrics = HttpMetrics(registry)
    registry.register(AuthClientCollector(auth))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.create_engine(settings.database_url, settings.database_pool_size)
        app.state.context = ResourceContext(settings, engine, db.session_factory(engine))
        try:
            async with auth:
                yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Gatehouse resource service",
        version="0.1.0",
        description="An example API protected by access tokens verified locally.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI without a CDN: install_docs below
        redoc_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
    )
    install_docs(app, PREFIX, enabled=settings.docs)
    install_error_handlers(app, db.DATABASE_DOWN_ERRORS)
    install_auth(app, auth)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    trusted = settings.trusted_networks
    app.add_middleware(
        RequestObservability,
        metrics=http_metrics,
        client_ip=lambda scope: forwarded_client_ip(scope, trusted),
        access_log=settings.access_log,
    )

    app.add_middleware(LastResortErrors)  # added last: the outermost of ours

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        # Outside /api/resource on purpose: the gateway does not route it to the public.
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    api = APIRouter(prefix=PREFIX)
    for router in (identity_router, notes_router, admin_router, health_router):
        api.include_router(router)
    app.include_router(api)
    return app
