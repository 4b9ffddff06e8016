"""The notes API: each caller sees, changes and deletes only their own notes."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from helpers import create_note

NOTES = "/api/resource/notes"


async def test_a_created_note_can_be_read_back(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(NOTES, json={"title": " Plan ", "body": "Day 1"}, headers=alice)

    assert response.status_code == 201
    note = response.json()
    assert (note["title"], note["body"]) == ("Plan", "Day 1")
    assert response.headers["location"] == f"{NOTES}/{note['id']}"
    fetched = await client.get(response.headers["location"], headers=alice)
    assert fetched.json() == note


async def test_a_note_needs_only_a_title(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    response = await client.post(NOTES, json={"title": "Just a title"}, headers=alice)

    assert response.status_code == 201
    assert response.json()["body"] == ""


async def test_the_list_holds_the_callers_notes_newest_first(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    for title in ("first", "second", "third"):
        await create_note(client, alice, title)
    await create_note(client, bob, "bob's")

    titles = [note["title"] for note in (await client.get(NOTES, headers=alice)).json()]
    page = (await client.get(NOTES, params={"limit": 1, "offset": 1}, headers=alice)).json()

    assert titles == ["third", "second", "first"]
    assert [note["title"] for note in page] == ["second"]


async def test_a_patch_changes_only_the_fields_sent(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    note = await create_note(client, alice, "Title", "Body")

    response = await client.patch(f"{NOTES}/{note['id']}", json={"body": "New body"}, headers=alice)

    assert response.status_code == 200
    changed = response.json()
    assert (changed["title"], changed["body"]) == ("Title", "New body")
    assert changed["updated_at"] > note["updated_at"]
    assert changed["created_at"] == note["created_at"]


async def test_a_deleted_note_is_gone(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    note = await create_note(client, alice)

    deleted = await client.delete(f"{NOTES}/{note['id']}", headers=alice)

    assert deleted.status_code == 204
    assert (await client.get(f"{NOTES}/{note['id']}", headers=alice)).status_code == 404
    assert (await client.get(NOTES, headers=alice)).json() == []


async def test_another_users_note_is_not_found_for_reading_changing_or_deleting(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    note = await create_note(client, alice, "Private", "secret")
    url = f"{NOTES}/{note['id']}"

    answers = [
        await client.get(url, headers=bob),
        await client.patch(url, json={"title": "Mine now"}, headers=bob),
        await client.delete(url, headers=bob),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert answers[0].headers["content-type"] == "application/problem+json"
    assert answers[0].json()["code"] == "note_not_found"
    assert (await client.get(NOTES, headers=bob)).json() == []
    still_there = await client.get(url, headers=alice)
    assert (still_there.json()["title"], still_there.json()["body"]) == ("Private", "secret")


async def test_a_note_that_never_existed_answers_like_someone_elses(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    someone_elses = await create_note(client, alice)

    missing = await client.get(f"{NOTES}/{uuid.uuid4()}", headers=bob)
    foreign = await client.get(f"{NOTES}/{someone_elses['id']}", headers=bob)

    assert missing.status_code == foreign.status_code == 404
    assert missing.json()["title"] == foreign.json()["title"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "ok", "body": "x" * 10_001}, "body"),
        ({"body": "no title"}, "title"),
        ({"title": 42}, "title"),
        ({"title": "ok", "owner_sub": "someone-else"}, "owner_sub"),
    ],
)
async def test_an_invalid_note_is_refused_naming_the_field(
    client: httpx.AsyncClient, alice: dict[str, str], payload: dict[str, object], field: str
) -> None:
    response = await client.post(NOTES, json=payload, headers=alice)

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_the_longest_allowed_title_and_body_are_accepted(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    note = await create_note(client, alice, "t" * 200, "b" * 10_000)
    assert (len(note["title"]), len(note["body"])) == (200, 10_000)


@pytest.mark.parametrize("payload", [{"title": None}, {"body": None}, {"title": "x" * 201}])
async def test_an_invalid_patch_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], payload: dict[str, object]
) -> None:
    note = await create_note(client, alice, "Keep", "Me")

    response = await client.patch(f"{NOTES}/{note['id']}", json=payload, headers=alice)

    assert response.status_code == 422
    unchanged = (await client.get(f"{NOTES}/{note['id']}", headers=alice)).json()
    assert (unchanged["title"], unchanged["body"]) == ("Keep", "Me")


async def test_a_malformed_note_id_is_a_validation_error(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get(f"{NOTES}/not-a-uuid", headers=alice)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "note_id"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}])
async def test_out_of_range_paging_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], params: dict[str, int | str]
) -> None:
    response = await client.get(NOTES, params=params, headers=alice)
    assert response.status_code == 422


async def test_concurrent_writes_from_one_user_all_land(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await asyncio.gather(*(create_note(client, alice, f"note {n}") for n in range(20)))

    notes = (await client.get(NOTES, params={"limit": 100}, headers=alice)).json()
    assert len(notes) == 20


async def test_notes_need_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(NOTES)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer realm=")
