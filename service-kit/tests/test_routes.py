"""DirectRoute: the same answers as FastAPI's handler, without its dependency solving."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from pydantic import BaseModel
from service_kit.routes import DirectRoute


class Caller(BaseModel):
    name: str
    calls: int


class Bearer(SecurityBase):
    def __init__(self) -> None:
        self.model = HTTPBearerModel()
        self.scheme_name = "BearerToken"
        self.calls = 0

    async def __call__(self, request: Request) -> str:
        self.calls += 1
        token = request.headers.get("authorization", "")
        if token != "Bearer good":
            raise HTTPException(401, "no", headers={"WWW-Authenticate": "Bearer"})
        return "alice"


bearer = Bearer()
Principal = Annotated[str, Depends(bearer)]


async def forbid_header(request: Request) -> None:
    if "x-forbidden" in request.headers:
        raise HTTPException(403, "forbidden")


EVENTS: list[str] = []


async def transaction(request: Request) -> AsyncIterator[str]:
    EVENTS.append("begin")
    try:
        yield "tx"
    except HTTPException:
        EVENTS.append("rollback")
        raise
    EVENTS.append("commit")


Tx = Annotated[str, Depends(transaction, scope="function")]


def endpoints(router: APIRouter) -> None:
    @router.get("/me", response_model=Caller)
    async def me(name: Principal, again: Principal, response: Response) -> Caller:
        response.headers["x-seen"] = name
        response.status_code = 202
        return Caller(name=name, calls=bearer.calls)

    @router.get("/search", response_model=Caller)
    async def search(name: Principal, q: str) -> Caller:
        return Caller(name=q, calls=bearer.calls)


def app_with(route_class: type[fastapi.routing.APIRoute]) -> FastAPI:
    inner = APIRouter(route_class=route_class)
    endpoints(inner)
    outer = APIRouter(prefix="/api")
    outer.include_router(inner, dependencies=[Depends(forbid_header)])
    app = FastAPI()
    app.include_router(outer)
    return app


@pytest.fixture
def solver_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    calls: list[int] = []
    real = fastapi.routing.solve_dependencies

    async def counting(**kwargs: Any) -> Any:
        calls.append(1)
        return await real(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    yield calls


async def get(app: FastAPI, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path, headers=headers)


async def test_a_direct_route_answers_as_fastapi_does_without_solving(
    solver_calls: list[int],
) -> None:
    answers = []
    for route_class in (fastapi.routing.APIRoute, DirectRoute):
        bearer.calls = 0
        answer = await get(app_with(route_class), "/api/me", authorization="Bearer good")
        answers.append((answer.status_code, answer.json(), answer.headers.get("x-seen")))
    assert answers[0] == answers[1] == (202, {"name": "alice", "calls": 1}, "alice")
    assert len(solver_calls) == 1  # FastAPI's handler only


async def test_a_dependency_refusal_reaches_the_exception_handlers() -> None:
    answer = await get(app_with(DirectRoute), "/api/me", authorization="Bearer bad")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_the_dependencies_of_the_include_still_run() -> None:
    headers = {"authorization": "Bearer good", "x-forbidden": "1"}
    answer = await get(app_with(DirectRoute), "/api/me", **headers)
    assert answer.status_code == 403


async def test_a_route_with_parameters_goes_through_fastapi(solver_calls: list[int]) -> None:
    app = app_with(DirectRoute)
    assert (await get(app, "/api/search", authorization="Bearer good")).status_code == 422
    answer = await get(app, "/api/search?q=x", authorization="Bearer good")
    assert answer.json()["name"] == "x"
    assert len(solver_calls) == 2


async def test_dependency_overrides_are_honoured(solver_calls: list[int]) -> None:
    app = app_with(DirectRoute)

    async def someone_else() -> str:
        return "bob"

    app.dependency_overrides[bearer] = someone_else
    answer = await get(app, "/api/me")
    assert answer.json()["name"] == "bob"
    assert len(solver_calls) == 1


def test_the_openapi_document_is_the_same() -> None:
    plain, direct = app_with(fastapi.routing.APIRoute), app_with(DirectRoute)
    assert direct.openapi() == plain.openapi()
    assert direct.openapi()["paths"]["/api/me"]["get"]["security"] == [{"BearerToken": []}]


async def test_a_yield_dependency_closes_before_the_answer_and_sees_the_error(
    solver_calls: list[int],
) -> None:
    events = EVENTS
    events.clear()
    router = APIRouter(route_class=DirectRoute)

    @router.post("/ok", response_model=Caller)
    async def ok(tx: Tx) -> Caller:
        events.append("endpoint")
        return Caller(name=tx, calls=0)

    @router.post("/fails", response_model=Caller)
    async def fails(tx: Tx) -> Caller:
        raise HTTPException(409, "conflict")

    app = FastAPI()
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/ok")).json() == {"name": "tx", "calls": 0}
        assert events == ["begin", "endpoint", "commit"]
        assert (await client.post("/fails")).status_code == 409
    assert events[3:] == ["begin", "rollback"]
    assert solver_calls == []
