"""Bad input gets a clear 4xx problem, never a 500 or a stack trace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

NOTES = "/api/resource/notes"


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert {"type", "title", "detail"} <= set(problem)
    assert "Traceback" not in response.text


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"title": "x",}', b"\xff\xfe"])
async def test_malformed_json_is_a_400(
    client: httpx.AsyncClient, alice: dict[str, str], body: bytes
) -> None:
    headers = {**alice, "Content-Type": "application/json"}
    response = await client.post(NOTES, content=body, headers=headers)
    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize("body", [b"[]", b'"title"', b"null", b"42"])
async def test_json_that_is_not_an_object_is_a_422(
    client: httpx.AsyncClient, alice: dict[str, str], body: bytes
) -> None:
    headers = {**alice, "Content-Type": "application/json"}
    response = await client.post(NOTES, content=body, headers=headers)
    assert_problem(response, 422, "validation_failed")


async def test_a_body_over_64_kib_is_refused_by_its_length(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    body = {"title": "big", "body": "x" * (64 * 1024)}
    response = await client.post(NOTES, json=body, headers=alice)
    assert_problem(response, 413, "payload_too_large")


async def test_a_streamed_body_over_64_kib_is_refused_while_it_arrives(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "big", "body": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    headers = {**alice, "Content-Type": "application/json"}
    response = await client.post(NOTES, content=chunks(), headers=headers)
    assert_problem(response, 413, "payload_too_large")


async def test_a_nonsense_content_length_is_a_400(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    headers = {**alice, "Content-Type": "application/json", "Content-Length": "lots"}
    request = client.build_request("POST", NOTES, content=b"{}", headers=headers)
    request.headers["Content-Length"] = "lots"
    assert_problem(await client.send(request), 400, "bad_request")


async def test_an_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/resource/nothing-here"), 404, "not_found")


async def test_a_wrong_method_is_a_405_problem_with_allow(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.put(NOTES, json={}, headers=alice)

    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"]


async def test_a_garbage_bearer_token_is_a_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(
        NOTES, headers={b"Authorization": "Bearer \u00e9t\u00e9".encode("latin-1")}
    )
    assert_problem(response, 401, "invalid_token")
