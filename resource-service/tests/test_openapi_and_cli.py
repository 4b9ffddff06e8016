"""The published API description, and the `resource-service migrate` command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
from auth_client.fastapi import AUTH_RESPONSES
from devstack.postgres import Postgres
from fastapi import FastAPI
from resource_service.cli import main
from resource_service.errors import problem_responses
from service_kit.testhelpers import assert_docs_are_self_hosted


async def test_every_operation_documents_its_error_answers(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/resource/openapi.json")).json()

    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) >= {
        ("GET", "/api/resource/me"),
        ("POST", "/api/resource/notes"),
        ("PATCH", "/api/resource/notes/{note_id}"),
        ("GET", "/api/resource/admin/stats"),
    }
    for (method, path), operation in operations.items():
        if path.endswith(("/healthz", "/readyz")):
            continue
        responses = operation["responses"]
        assert {"401", "422", "503"} <= set(responses), (method, path)
        assert "application/problem+json" in responses["401"]["content"]
    assert "403" in operations[("GET", "/api/resource/admin/stats")]["responses"]
    assert "404" in operations[("DELETE", "/api/resource/notes/{note_id}")]["responses"]
    assert "413" in operations[("POST", "/api/resource/notes")]["responses"]


def test_auth_clients_problems_and_the_services_own_share_one_schema() -> None:
    """auth-client and service-kit each define `Problem` (neither imports the other): an app
    documenting both kinds of answer must still get one schema, every `$ref` resolving."""
    app = FastAPI()

    @app.get("/by-auth-client", responses=AUTH_RESPONSES)
    def by_auth_client() -> None: ...

    @app.get("/by-the-service", responses=problem_responses(404))
    def by_the_service() -> None: ...

    document = app.openapi()
    schemas = document["components"]["schemas"]
    assert [name for name in schemas if "Problem" in name] == ["Problem"]
    referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert "Problem" in referenced
    assert referenced <= set(schemas)


async def test_the_docs_page_loads_swagger_ui_from_the_service_itself(
    client: httpx.AsyncClient,
) -> None:
    await assert_docs_are_self_hosted(client, "/api/resource")


async def test_with_docs_off_the_pages_are_gone_and_the_openapi_document_stays(
    make_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    async with make_client(docs=False) as client:
        assert (await client.get("/api/resource/docs")).status_code == 404
        static = await client.get("/api/resource/docs/static/swagger-init.js")
        assert static.status_code == 404
        assert (await client.get("/api/resource/openapi.json")).status_code == 200


def test_migrate_creates_the_schema_and_is_safe_to_run_again(postgres_server: Postgres) -> None:
    postgres_server.psql('DROP DATABASE IF EXISTS "resource_migrate_test"')
    postgres_server.create_database("resource_migrate_test")
    url = str(postgres_server.url("resource_migrate_test"))

    assert main(["migrate", "--database-url", url]) == 0
    assert main(["migrate", "--database-url", url]) == 0

    def query(sql: str) -> str:
        return str(postgres_server.psql(sql, database="resource_migrate_test")).strip()

    columns = query(
        "SELECT string_agg(column_name, ',' ORDER BY column_name) "
        "FROM information_schema.columns WHERE table_name = 'notes'"
    )
    assert columns == "body,created_at,id,owner_sub,title,updated_at"
    assert query("SELECT version_num FROM resource_service_alembic_version") == "0001"


def test_the_command_line_explains_itself() -> None:
    command = [sys.executable, "-m", "resource_service", "--help"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "migrate" in result.stdout
