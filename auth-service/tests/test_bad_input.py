from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, assert_problem, sign_up


async def test_malformed_json_is_a_400_problem(client) -> None:
    response = await client.post(
        "/api/auth/signup", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize(
    "body",
    [
        {"email": 12, "password": PASSWORD},
        {"email": "ann@example.org", "password": ["a"]},
        {"email": "ann@example.org"},
        {"email": "ann@example.org", "password": PASSWORD, "is_admin": True},
        [1, 2],
        "text",
        None,
    ],
)
async def test_wrong_shapes_are_422_problems_and_store_nothing(client, db, body) -> None:
    response = await client.post("/api/auth/signup", json=body)
    assert_problem(response, 422, "validation_failed")
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_oversized_body_is_a_413_problem(client, db) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": "a@example.org", "password": "x" * 70_000}
    )
    assert_problem(response, 413)


async def test_oversized_streamed_body_without_length_is_a_413_problem(client) -> None:
    async def chunks():
        for _ in range(100):
            yield b"x" * 1024

    response = await client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)


async def test_unknown_route_and_wrong_method_are_problems(client) -> None:
    assert_problem(await client.get("/api/auth/nope"), 404)
    assert_problem(await client.get("/api/auth/login"), 405)


async def test_unknown_or_malformed_session_ids_are_4xx(client) -> None:
    login = await sign_up(client, "ann@example.org")
    response = await client.delete("/api/auth/sessions/not-a-uuid", headers=login.bearer)
    assert_problem(response, 422)
    response = await client.delete(
        "/api/auth/sessions/00000000-0000-0000-0000-000000000000", headers=login.bearer
    )
    assert_problem(response, 404, "not_found")


async def test_openapi_documents_problem_responses(client) -> None:
    schema = (await client.get("/api/auth/openapi.json")).json()
    login = schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert {"401", "422", "429"} <= set(login)
    assert "application/problem+json" in login["401"]["content"]
