"""Inputs that Schemathesis found turning into 500s, pinned down through the gateway: each
must get a clear 4xx (DESIGN.md: "Nothing returns a stack trace or a 500 for bad input").

PostgreSQL refuses a NUL character in text and any integer past 64 bits; a service that
passes such a value on to it unchecked fails with a 500 instead of refusing the request.
These run on a stack of their own: a 500 also costs the next request on the same gateway
connection a 502 (see below), which must not land on another test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD, RunningStack

PASSWORD = "a perfectly fine e2e passphrase"
PAST_INT64 = str(2**63)


@pytest.fixture(scope="module")
def hostile_stack(stack_factory: Callable[..., RunningStack]) -> RunningStack:
    return stack_factory(
        {
            "AUTH_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "AUTH_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        },
        name="hostile",
    )


@pytest.fixture
def client(hostile_stack: RunningStack) -> Iterator[httpx.Client]:
    with hostile_stack.client() as http:
        yield http


@pytest.fixture(scope="module")
def user(hostile_stack: RunningStack) -> Iterator[dict[str, str]]:
    with hostile_stack.client() as http:
        email = f"hostile-{uuid.uuid4().hex[:12]}@gatehouse.example"
        signup = http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        yield {"Authorization": f"Bearer {signup.json()['access_token']}"}


@pytest.fixture(scope="module")
def admin(hostile_stack: RunningStack) -> Iterator[dict[str, str]]:
    with hostile_stack.client() as http:
        login = http.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        yield {"Authorization": f"Bearer {login.json()['access_token']}"}


def assert_refused_as_invalid(response: httpx.Response, status: int = 422) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "note", [{"title": "a\u0000b"}, {"title": "t", "body": "\u0000"}], ids=["title", "body"]
)
def test_a_nul_character_in_a_new_note_is_refused_not_a_500(
    client: httpx.Client, user: dict[str, str], note: dict[str, str]
) -> None:
    assert_refused_as_invalid(client.post("/api/resource/notes", json=note, headers=user))


def test_a_nul_character_in_a_note_change_is_refused_and_changes_nothing(
    client: httpx.Client, user: dict[str, str]
) -> None:
    created = client.post("/api/resource/notes", json={"title": "kept"}, headers=user)
    assert created.status_code == 201, created.text
    url = f"/api/resource/notes/{created.json()['id']}"
    assert_refused_as_invalid(client.patch(url, json={"title": "x\u0000"}, headers=user))
    assert client.get(url, headers=user).json()["title"] == "kept"


@pytest.mark.parametrize(
    "query",
    [{"before": PAST_INT64}, {"before": "-" + PAST_INT64}, {"event": "sign\u0000up"}],
    ids=["before-past-int64", "before-below-int64", "event-with-nul"],
)
def test_an_audit_query_postgresql_cannot_hold_is_refused_not_a_500(
    client: httpx.Client, admin: dict[str, str], query: dict[str, str]
) -> None:
    assert_refused_as_invalid(client.get("/api/auth/admin/audit", params=query, headers=admin))


def test_a_nul_character_in_a_client_name_is_refused_not_a_500(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    client_form = {"name": "a\u0000b", "scopes": ["stats:read"]}
    assert_refused_as_invalid(
        client.post("/api/auth/admin/clients", json=client_form, headers=admin)
    )


def test_a_hostile_request_does_not_cost_the_next_request_on_the_connection(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    """The gateway keeps connections to each service open. A service that drops one after
    a failed request makes the gateway answer 502 to the next POST it sends on it (a POST
    is not retried): another client's request, lost."""
    hostile = {"name": "a\u0000b", "scopes": ["stats:read"]}
    for _ in range(3):
        client.post("/api/auth/admin/clients", json=hostile, headers=admin)
        fine = {"name": f"fine-{uuid.uuid4().hex[:6]}", "scopes": ["stats:read"]}
        created = client.post("/api/auth/admin/clients", json=fine, headers=admin)
        assert created.status_code == 201, (created.status_code, created.text)


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_a_nul_character_in_client_credentials_is_invalid_client_not_a_500(
    client: httpx.Client, field: str
) -> None:
    form = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    form[field] = "a\u0000b"
    response = client.post("/api/auth/oauth/token", data=form)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("method", "template"),
    [("POST", "/api/auth/admin/clients"), ("PATCH", "/api/auth/admin/users/{user_id}")],
)
def test_a_malformed_json_body_to_the_admin_api_is_a_documented_400(
    client: httpx.Client, admin: dict[str, str], method: str, template: str
) -> None:
    path = template.format(user_id=uuid.uuid4())
    headers = {**admin, "Content-Type": "application/json"}
    assert_refused_as_invalid(
        client.request(method, path, content=b"{not json", headers=headers), 400
    )
    documented = client.get("/api/auth/openapi.json").json()["paths"][template][method.lower()]
    assert "400" in documented["responses"]
