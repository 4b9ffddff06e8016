"""Properties of docker-compose.yml as Compose renders it (`docker-compose config`, no
engine needed): files-only Traefik, the two networks, per-service database roles,
pinned images, docs off. And the roles script itself, run against a real PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from auth_service.config import Settings as AuthSettings
from devstack.postgres import Postgres, pg_bin
from replay_build import ROOT
from resource_service.config import Settings as ResourceSettings

COMPOSE = ROOT / ".venv" / "bin" / "docker-compose"
SECRETS = {
    "POSTGRES_PASSWORD": "superuser-secret",
    "REDIS_PASSWORD": "redis-secret",
    "AUTH_KEY_ENCRYPTION_KEY": "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
    "AUTH_DB_OWNER_PASSWORD": "auth-owner-secret",
    "AUTH_DB_APP_PASSWORD": "auth-app-secret",
    "RESOURCE_DB_OWNER_PASSWORD": "resource-owner-secret",
    "RESOURCE_DB_APP_PASSWORD": "resource-app-secret",
    "REVOCATION_CLIENT_SECRET": "revocation-client-secret-0123456789abcdef",
}
# An exact version: v3.7.15, 7.4.5-alpine, 0.13.9 (not 7, 7.4-alpine, latest); PostgreSQL
# numbers its releases MAJOR.MINOR (16.10-alpine, not 16-alpine).
EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+(-[\w.-]+)?$")
EXACT_POSTGRES_TAG = re.compile(r"^\d+\.\d+(-[\w.-]+)?$")


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    env = {**os.environ, **SECRETS}
    rendered = subprocess.run(  # noqa: S603
        [COMPOSE, "-f", ROOT / "docker-compose.yml", "config", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(rendered.stdout))


def networks_of(config: dict[str, Any]) -> dict[str, set[str]]:
    return {name: set(svc.get("networks") or {}) for name, svc in config["services"].items()}


def test_traefik_reads_files_only_with_no_docker_socket(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        for volume in service.get("volumes", []):
            assert "docker.sock" not in str(volume.get("source", "")), name
    traefik = config["services"]["traefik"]
    assert not [flag for flag in traefik["command"] if flag.startswith("--providers.docker")]
    assert "--providers.file.directory=/etc/traefik/dynamic" in traefik["command"]
    mounted = {Path(v["source"]).relative_to(ROOT).as_posix() for v in traefik["volumes"]}
    assert mounted == {"gateway/middlewares.yml", "gateway/compose/routes.yml"}


def test_databases_sit_on_an_internal_network_and_only_traefik_is_published(
    config: dict[str, Any],
) -> None:
    assert config["networks"]["data"]["internal"] is True
    assert not config["networks"]["edge"].get("internal")
    assert networks_of(config) == {
        "traefik": {"edge"},
        "web": {"edge"},
        "auth": {"edge", "data"},
        "resource": {"edge", "data"},
        "migrate-auth": {"data"},
        "migrate-resource": {"data"},
        "postgres": {"data"},
        "redis": {"data"},
        "mailpit": {"data"},
    }
    published = {name for name, svc in config["services"].items() if svc.get("ports")}
    assert published == {"traefik"}


@pytest.mark.parametrize(
    ("service", "variable", "role", "password"),
    [
        ("auth", "AUTH_DATABASE_URL", "auth_app", "AUTH_DB_APP_PASSWORD"),
        ("migrate-auth", "AUTH_DATABASE_URL", "auth_owner", "AUTH_DB_OWNER_PASSWORD"),
        ("resource", "RESOURCE_DATABASE_URL", "resource_app", "RESOURCE_DB_APP_PASSWORD"),
        (
            "migrate-resource",
            "RESOURCE_DATABASE_URL",
            "resource_owner",
            "RESOURCE_DB_OWNER_PASSWORD",
        ),
    ],
)
def test_services_connect_as_app_roles_and_migrations_as_owners(
    config: dict[str, Any], service: str, variable: str, role: str, password: str
) -> None:
    url = urlsplit(config["services"][service]["environment"][variable])

    assert (url.username, url.password) == (role, SECRETS[password])


def test_postgres_creates_the_roles_from_secrets(config: dict[str, Any]) -> None:
    postgres = config["services"]["postgres"]
    assert {s["source"] for s in postgres["secrets"]} == {
        "auth_db_owner_password",
        "auth_db_app_password",
        "resource_db_owner_password",
        "resource_db_app_password",
    }
    init = [
        v for v in postgres["volumes"] if v["target"].startswith("/docker-entrypoint-initdb.d/")
    ]
    assert [Path(v["source"]).relative_to(ROOT).as_posix() for v in init] == [
        "docker/postgres/10-service-roles.sh"
    ]


def test_every_image_is_pinned_to_an_exact_version(config: dict[str, Any]) -> None:
    images = [svc["image"] for svc in config["services"].values() if "build" not in svc]
    for dockerfile in ("docker/service.Dockerfile", "web/Dockerfile"):
        text = (ROOT / dockerfile).read_text()
        images += re.findall(r"^ARG \w+_IMAGE=(\S+)", text, re.MULTILINE)
        images += [i for i in re.findall(r"^FROM (\S+)", text, re.MULTILINE) if "$" not in i]
    assert len(images) >= 6
    for image in images:
        name, tag = image.rsplit(":", 1)
        assert (EXACT_POSTGRES_TAG if name == "postgres" else EXACT_TAG).match(tag), image


def test_mail_goes_to_the_pinned_mailpit_on_the_data_network(config: dict[str, Any]) -> None:
    services = config["services"]
    mailpit = services["mailpit"]
    name, tag = mailpit["image"].rsplit(":", 1)
    assert name == "axllent/mailpit"
    assert EXACT_TAG.match(tag), mailpit["image"]
    assert not mailpit.get("ports")
    smtp = urlsplit(services["auth"]["environment"]["AUTH_SMTP_URL"])
    assert (smtp.scheme, smtp.hostname, smtp.port) == ("smtp", "mailpit", 1025)
    # The auth service reaches it over the data network, and mails links to the public URL.
    assert "data" in networks_of(config)["auth"] & networks_of(config)["mailpit"]
    assert services["auth"]["environment"]["AUTH_PUBLIC_URL"] == "http://localhost:8080"


def test_the_api_docs_are_off_in_compose(config: dict[str, Any]) -> None:
    services = config["services"]
    assert services["auth"]["environment"]["AUTH_DOCS"] == "false"
    assert services["resource"]["environment"]["RESOURCE_DOCS"] == "false"


def test_the_resource_service_follows_the_feed_with_the_client_the_auth_service_ensures(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = config["services"]
    auth, resource = services["auth"]["environment"], services["resource"]["environment"]
    # Both services read these settings as they are rendered (secret length, id pattern…).
    for name, value in {**auth, **resource}.items():
        monkeypatch.setenv(name, value)
    ensured, follower = AuthSettings(), ResourceSettings()
    assert ensured.bootstrap_client_id == follower.revocation_client_id == "resource-revocations"
    assert ensured.bootstrap_client_secret is not None
    assert follower.revocation_client_secret is not None
    secret = SECRETS["REVOCATION_CLIENT_SECRET"]
    assert ensured.bootstrap_client_secret.get_secret_value() == secret
    assert follower.revocation_client_secret.get_secret_value() == secret
    assert ensured.bootstrap_client_scopes == ["revocations:read"]
    # The feed straight from the auth service, over a network they share; the resource
    # service starts once the auth service (which ensures the client at start-up) is healthy.
    feed = urlsplit(follower.revocation_url or "")
    assert (feed.scheme, feed.hostname, feed.port, feed.path) == ("http", "auth", 8000, "/api/auth")
    assert "edge" in networks_of(config)["auth"] & networks_of(config)["resource"]
    assert services["resource"]["depends_on"]["auth"]["condition"] == "service_healthy"
    # Only these two services hold the client's secret.
    holders = {name for name, svc in services.items() if secret in json.dumps(svc)}
    assert holders == {"auth", "resource"}


def test_compose_routes_are_the_local_stacks_routes() -> None:
    compose = yaml.safe_load((ROOT / "gateway/compose/routes.yml").read_text())
    local = yaml.safe_load((ROOT / "gateway/local/routes.yml.tmpl").read_text())
    # The local stack's launcher reads Traefik's API on its loopback ping entrypoint (to
    # wait for every replica); the public routers are the same.
    public = {
        name: router
        for name, router in local["http"]["routers"].items()
        if router.get("entryPoints") != ["ping"]
    }
    assert compose["http"]["routers"] == public
    assert set(compose["http"]["services"]) == set(local["http"]["services"])


# Run as <service>_app: every table, and those the app may read and write but that its
# owner role owns (so the app cannot alter or drop them).
ROWS_ONLY = """
SELECT count(*), count(*) FILTER (
    WHERE has_table_privilege(c.oid, 'SELECT,INSERT,UPDATE,DELETE')
    AND pg_get_userbyid(c.relowner) = replace(current_user, '_app', '_owner'))
FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
"""


def test_the_roles_let_owners_migrate_and_apps_touch_rows_only(
    postgres_server: Postgres, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in ("auth", "resource"):
        for kind in ("owner", "app"):
            (secrets / f"{name}_db_{kind}_password").write_text(f"{name}-{kind}-secret")
    port = str(postgres_server.port)
    env = {**os.environ, "SECRETS_DIR": str(secrets), "PGHOST": "127.0.0.1", "PGPORT": port}
    env["PATH"] = f"{pg_bin('psql').parent}{os.pathsep}{env['PATH']}"
    script = ROOT / "docker" / "postgres" / "10-service-roles.sh"
    subprocess.run(["/bin/sh", script], env=env, check=True, capture_output=True)  # noqa: S603

    venv = ROOT / ".venv" / "bin"
    for service in ("auth", "resource"):
        url = f"postgresql+asyncpg://{service}_owner@127.0.0.1:{port}/{service}"
        subprocess.run(  # noqa: S603
            [
                venv / f"{service}-service",
                "migrate",
                *(["--database-url", url] * (service == "resource")),
            ],
            # The development key-encryption key needs dev mode: migrations use no key.
            env={**os.environ, "AUTH_DATABASE_URL": url, "AUTH_DEV_MODE": "true"},
            check=True,
            capture_output=True,
        )

    def psql(role: str, database: str, sql: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [
                pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "-U",
                role,
                "-d",
                database,
                "-tAc",
                sql,
            ],
            capture_output=True,
            text=True,
        )

    for service in ("auth", "resource"):
        app = f"{service}_app"
        tables = psql(app, service, ROWS_ONLY)
        total, usable = tables.stdout.strip().split("|")
        assert int(total) > 1 and total == usable, tables
        refused = psql(app, service, "CREATE TABLE intruder (id int)")
        assert "permission denied for schema public" in refused.stderr
        superuser = psql(app, service, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert superuser.stdout.strip() == "f"
        other = "resource" if service == "auth" else "auth"
        assert "permission denied" in psql(app, other, "SELECT 1").stderr
