from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from devstack.datadir import wipe
from devstack.throwaway import boot, throwaway_settings


def test_throwaway_settings_take_replicas_from_the_given_env_not_the_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEHOUSE_AUTH_REPLICAS", "5")
    replicas = {"GATEHOUSE_AUTH_REPLICAS": "2", "GATEHOUSE_RESOURCE_REPLICAS": "3"}
    first = throwaway_settings("unit", replicas)
    second = throwaway_settings("unit")
    try:
        assert len(first.replica_ports("auth")) == 2
        assert len(first.replica_ports("resource")) == 3
        assert len(second.replica_ports("auth")) == len(second.replica_ports("resource")) == 1
        ports = [port for _, port, _ in first.ports()]
        assert len(ports) == len(set(ports))
        assert first.data_dir != second.data_dir
        assert list(first.data_dir.iterdir()) == list(second.data_dir.iterdir()) == []
        assert not first.durable
    finally:
        wipe(first.data_dir)
        wipe(second.data_dir)


def test_a_stack_that_does_not_start_says_why_with_its_log_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where its data folder goes
    before = dict(os.environ)
    log_file = tmp_path / "logs" / "broken.log"
    # Without dev mode the auth service refuses the built-in key-encryption key: its
    # migration step exits, so the stack cannot start.
    with pytest.raises(RuntimeError) as raised:
        boot("broken", log_file, env={"AUTH_DEV_MODE": "false"})
    said = str(raised.value)
    assert said.startswith("broken did not start: migrations failed")
    assert f"--- {log_file}:" in said and "migrate-auth" in said  # the log's tail
    assert list(scratch.iterdir()) == []  # its data folder is gone
    assert dict(os.environ) == before
