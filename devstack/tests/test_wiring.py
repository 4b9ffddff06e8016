"""The services' environment in a local stack: the wiring, and readable logs on a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer
from devstack.settings import StackSettings
from devstack.wiring import service_env


@pytest.fixture
def parts(tmp_path: Path) -> tuple[StackSettings, Postgres, RedisServer]:
    settings = StackSettings.on_free_ports(tmp_path, tmp_path / "data")
    postgres = Postgres(data_dir=tmp_path / "pg", port=settings.postgres_port)
    return settings, postgres, RedisServer(port=settings.redis_port)


def test_on_a_terminal_the_services_log_text_unless_told_otherwise(
    parts: tuple[StackSettings, Postgres, RedisServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTH_LOG_FORMAT", raising=False)
    monkeypatch.delenv("RESOURCE_LOG_FORMAT", raising=False)
    on_terminal = service_env(*parts, {}, terminal=True)
    assert on_terminal["AUTH_LOG_FORMAT"] == on_terminal["RESOURCE_LOG_FORMAT"] == "text"
    piped = service_env(*parts, {}, terminal=False)
    assert "AUTH_LOG_FORMAT" not in piped  # auto: JSON, as they write to a pipe
    asked = service_env(*parts, {"AUTH_LOG_FORMAT": "json"}, terminal=True)
    assert asked["AUTH_LOG_FORMAT"] == "json" and asked["RESOURCE_LOG_FORMAT"] == "text"
