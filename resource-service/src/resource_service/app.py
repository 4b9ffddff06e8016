"""The application factory and its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from auth_client import AuthClient
from auth_client.fastapi import install_auth
from fastapi import APIRouter, FastAPI

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
    # Built here (no I/O), started in the lifespan: it fetches keys and owns an HTTP client.
    auth = build_auth_client(settings)

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
        docs_url=f"{PREFIX}/docs",
        redoc_url=f"{PREFIX}/redoc",
        openapi_url=f"{PREFIX}/openapi.json",
    )
    install_error_handlers(app, db.DATABASE_DOWN_ERRORS)
    install_auth(app, auth)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    api = APIRouter(prefix=PREFIX)
    for router in (identity_router, notes_router, admin_router, health_router):
        api.include_router(router)
    app.include_router(api)
    return app
