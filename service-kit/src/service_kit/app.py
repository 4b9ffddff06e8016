"""The FastAPI app of a service, with what every service has around its routes."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.types import Lifespan

from service_kit import memory
from service_kit.docs import install_docs
from service_kit.handlers import DependencyErrorHook, install_error_handlers
from service_kit.last_resort import LastResortErrors
from service_kit.middleware import BodySizeLimit
from service_kit.observability import HttpMetrics, RequestObservability, forwarded_client_ip
from service_kit.settings import ServiceSettings


def _ignore(_: str) -> None:
    pass


def create_service_app(
    *,
    title: str,
    prefix: str,
    settings: ServiceSettings,
    lifespan: Lifespan[FastAPI],
    registry: CollectorRegistry,
    http_metrics: HttpMetrics,
    dependency_errors: Iterable[type[Exception]],
    on_dependency_error: DependencyErrorHook = _ignore,
    description: str = "",
) -> FastAPI:
    """The app: API docs under `prefix`, problem+json errors, the body-size limit, request
    ids, access lines and metrics, the 500 of last resort, and `/metrics` (outside
    `prefix` on purpose: the gateway does not route it to the public). Routes come next."""
    app = FastAPI(
        title=title,
        version="0.1.0",
        description=description,
        lifespan=memory.frozen_after_start_up(lifespan),
        docs_url=None,  # Swagger UI without a CDN: install_docs below
        redoc_url=None,
        openapi_url=f"{prefix}/openapi.json",
    )
    install_docs(app, prefix, enabled=settings.docs)
    install_error_handlers(app, dependency_errors, on_dependency_error)
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
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
