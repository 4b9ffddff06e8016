"""The app every service gets from the kit: docs, problem+json errors, limits, metrics."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from service_kit.app import create_service_app
from service_kit.observability import HttpMetrics
from service_kit.problems import AppError
from service_kit.settings import ServiceSettings
from service_kit.testhelpers import assert_docs_are_self_hosted


class Teapot(AppError):
    status_code, code, title = 418, "teapot", "I am a teapot"


class Item(BaseModel):
    name: str


@contextlib.asynccontextmanager
async def _nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


def _app(**settings: object) -> FastAPI:
    registry = CollectorRegistry()
    app = create_service_app(
        title="kit test",
        prefix="/api/kit",
        settings=ServiceSettings(**settings),  # type: ignore[arg-type]
        lifespan=_nothing,
        registry=registry,
        http_metrics=HttpMetrics(registry),
        dependency_errors=(ConnectionError,),
    )

    @app.post("/api/kit/items")
    async def create(item: Item) -> Item:
        return item

    @app.get("/api/kit/teapot")
    async def teapot() -> None:
        raise Teapot()

    @app.get("/api/kit/down")
    async def down() -> None:
        raise ConnectionError("refused")

    @app.get("/api/kit/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/kit/readyz")
    async def readyz() -> None:
        raise ConnectionError("refused")

    @app.get("/api/kit/bug")
    async def bug() -> None:
        raise RuntimeError("a bug")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        yield client


async def test_the_docs_page_loads_swagger_ui_from_the_service_itself(
    client: httpx.AsyncClient,
) -> None:
    await assert_docs_are_self_hosted(client, "/api/kit")


async def test_an_app_error_is_problem_json_with_its_code(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/kit/teapot")

    assert response.status_code == 418
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "teapot"
    assert response.json()["type"] == "urn:gatehouse:problem:teapot"


async def test_invalid_input_names_the_field_and_malformed_json_is_a_400(
    client: httpx.AsyncClient,
) -> None:
    invalid = await client.post("/api/kit/items", json={"name": 3})
    malformed = await client.post(
        "/api/kit/items", content=b"{", headers={"content-type": "application/json"}
    )

    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "name"
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"


async def test_a_wrong_method_answers_405_with_every_allowed_method(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/api/kit/items")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_a_body_over_the_limit_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/kit/items", content=b"x" * (64 * 1024 + 1))

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_dependency_down_is_a_503_with_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/kit/down")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "unavailable"


async def test_a_bug_is_a_problem_json_500(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/kit/bug")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"


async def test_requests_are_counted_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/api/kit/teapot")

    metrics = (await client.get("/metrics")).text
    assert 'route="/api/kit/teapot",status="418"' in metrics


async def test_answered_health_probes_leave_no_access_line_and_failing_ones_do(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gatehouse.access"):
        await client.get("/api/kit/healthz")
        await client.get("/api/kit/readyz")  # 503: the dependency is down
        await client.post("/api/kit/items", json={"name": "x"})

    logged = [(r.route, r.status) for r in caplog.records if r.name == "gatehouse.access"]  # type: ignore[attr-defined]
    assert logged == [("/api/kit/readyz", 503), ("/api/kit/items", 200)]


async def test_what_start_up_made_is_out_of_the_collectors_sight_while_the_app_serves() -> None:
    """A full collection walks only what requests made, not the objects of a service's
    start-up, which would stop the event loop on every full collection."""
    app = _app()
    assert gc.get_freeze_count() == 0
    async with LifespanManager(app):
        assert gc.get_freeze_count() > 10_000  # the modules, the app, its routes and models
    assert gc.get_freeze_count() == 0  # given back at shutdown: nothing is kept for ever
