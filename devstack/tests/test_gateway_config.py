"""Traefik's configuration for the local stack is rendered completely and routes as designed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from devstack.gateway import render_config
from devstack.settings import StackSettings, find_root


def rendered(tmp_path: Path) -> tuple[StackSettings, str, str]:
    settings = StackSettings.on_free_ports(find_root(Path(__file__)), tmp_path)
    static = render_config(settings)
    routes = (static.parent / "dynamic" / "routes.yml").read_text()
    return settings, static.read_text(), routes


def test_every_placeholder_is_filled_with_this_stacks_ports(tmp_path: Path) -> None:
    settings, static, routes = rendered(tmp_path)
    assert "${" not in static and "${" not in routes
    assert f'address: "127.0.0.1:{settings.gateway_port}"' in static
    assert f'address: "127.0.0.1:{settings.ping_port}"' in static
    for port in (settings.auth_port, settings.resource_port, settings.web_port):
        assert f'url: "http://127.0.0.1:{port}"' in routes


def test_the_shared_middlewares_are_loaded_next_to_the_routes(tmp_path: Path) -> None:
    _, static, _ = rendered(tmp_path)
    dynamic = tmp_path / "gateway" / "dynamic"
    assert f'directory: "{dynamic}"' in static
    shared = (find_root(Path(__file__)) / "gateway" / "middlewares.yml").read_text()
    assert (dynamic / "middlewares.yml").read_text() == shared


def test_the_web_app_is_the_lowest_priority_catch_all(tmp_path: Path) -> None:
    _, _, routes = rendered(tmp_path)
    web = routes.split("    web:\n", 1)[1].split("\n\n", 1)[0]
    assert 'rule: "PathPrefix(`/`)"' in web
    assert "priority: 1\n" in web + "\n"


def test_client_forwarded_headers_are_not_trusted(tmp_path: Path) -> None:
    _, static, _ = rendered(tmp_path)
    assert "insecure: false" in static
    assert "trustedIPs" not in static


def test_the_api_rate_limit_counts_an_ipv6_client_by_its_64(tmp_path: Path) -> None:
    rendered(tmp_path)
    middlewares = (tmp_path / "gateway" / "dynamic" / "middlewares.yml").read_text()
    rate_limit = middlewares.split("    api-rate-limit:\n", 1)[1]
    assert re.search(r"\n {8}sourceCriterion:\n {10}ipStrategy:\n {12}ipv6Subnet: 64\b", rate_limit)


def test_every_replica_is_a_health_checked_server_of_its_service(tmp_path: Path) -> None:
    settings = StackSettings.on_free_ports(
        find_root(Path(__file__)), tmp_path, auth_replicas=2, resource_replicas=3
    )
    static = render_config(settings)
    routes = yaml.safe_load((static.parent / "dynamic" / "routes.yml").read_text())
    services = routes["http"]["services"]
    for name, count in (("auth", 2), ("resource", 3)):
        balancer = services[name]["loadBalancer"]
        urls = [server["url"] for server in balancer["servers"]]
        assert urls == [f"http://127.0.0.1:{p}" for p in settings.replica_ports(name)]
        assert len(set(urls)) == count
        assert balancer["healthCheck"]["path"] == f"/api/{name}/healthz"
        assert "replica-retry@file" in routes["http"]["routers"][name]["middlewares"]
    every_port = [port for _, port, _ in settings.ports()]
    assert len(every_port) == len(set(every_port)) == 9 + 1 + 2


def test_replica_counts_come_from_the_environment(tmp_path: Path) -> None:
    env = {"GATEHOUSE_AUTH_REPLICAS": "3", "GATEHOUSE_AUTH_PORT": "9001"}
    settings = StackSettings.from_env(env, root=tmp_path)
    assert settings.replica_ports("auth") == [9001, 9101, 9201]
    assert settings.replica_ports("resource") == [8002]
    for wrong in ("0", "17", "two", "-1"):
        with pytest.raises(ValueError, match="GATEHOUSE_RESOURCE_REPLICAS"):
            StackSettings.from_env({"GATEHOUSE_RESOURCE_REPLICAS": wrong}, root=tmp_path)
