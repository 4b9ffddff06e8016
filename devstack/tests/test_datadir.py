"""One stack per data folder; `make clean` wipes it, but never under a running stack."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from devstack.datadir import AlreadyRunning, DataDirLock, postgres_dir, wipe
from devstack.ports import free_port
from devstack.postgres import (
    Postgres,
    reachable_by_others,
    remove_shared_copies,
    scratch_folder,
    shared_copy,
    shared_copy_path,
)
from devstack.settings import StackSettings


def test_a_second_lock_on_the_same_folder_names_the_holder(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path)
    first.acquire("http://localhost:8080")
    try:
        with pytest.raises(AlreadyRunning) as refused:
            DataDirLock(tmp_path).acquire("http://localhost:9090")
        assert refused.value.pid == os.getpid()
        assert refused.value.url == "http://localhost:8080"
        assert "already running" in str(refused.value)
    finally:
        first.release()
    again = DataDirLock(tmp_path)
    again.acquire("again")  # free once released
    again.release()


def test_wipe_refuses_while_the_folder_is_locked_then_removes_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    lock = DataDirLock(data)
    lock.acquire("x")
    (data / "postgres").mkdir()
    with pytest.raises(AlreadyRunning):
        wipe(data)
    lock.release()
    assert wipe(data) == [data]
    assert not data.exists()


def test_ports_and_data_folder_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "GATEHOUSE_PORT": "9080",
        "GATEHOUSE_AUTH_PORT": "9001",
        "GATEHOUSE_DATA_DIR": str(tmp_path / "d"),
    }
    settings = StackSettings.from_env(env, root=tmp_path)
    assert settings.gateway_port == 9080 and settings.auth_port == 9001
    assert settings.resource_port == 8002  # the default
    assert settings.data_dir == tmp_path / "d"
    assert settings.public_url == "http://localhost:9080"


def test_free_port_settings_never_share_a_port(tmp_path: Path) -> None:
    settings = StackSettings.on_free_ports(tmp_path, tmp_path)
    ports = [port for _, port, _ in settings.ports()]
    assert len(set(ports)) == len(ports)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_a_private_parent_is_left_alone_and_the_data_goes_to_a_shared_folder(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    data = home / "checkout" / ".devstack"
    said: list[str] = []
    where = postgres_dir(data, said.append)
    try:
        assert not where.is_relative_to(home)
        assert (home.stat().st_mode & 0o777) == 0o700  # never chmod-ed
        assert said and "cannot reach" in said[0]
        assert postgres_dir(data, said.append) == where  # remembered, said once
        assert len(said) == 1
    finally:
        assert where in wipe(data)
    assert not where.exists()


def test_a_folder_everyone_can_enter_keeps_the_data_inside() -> None:
    with scratch_folder("gatehouse-open-") as folder:
        assert reachable_by_others(folder)
        data = folder / ".devstack"
        assert postgres_dir(data, lambda _: None) == data / "postgres"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs the shared copy")
def test_make_clean_keeps_a_shared_copy_in_use_and_the_next_start_makes_a_removed_one_again() -> (
    None
):
    # A shared folder of this test's own: another checkout's stack may be running from, or
    # making, the machine's real copy (/var/tmp/gatehouse-pgsql-*) meanwhile.
    with scratch_folder("gatehouse-shared-") as base:
        home = shared_copy(base)
        assert home.is_relative_to(shared_copy_path(base))
        assert reachable_by_others(home / "bin")
        server = Postgres(data_dir=base / "data", port=free_port(), durable=False, home=home)
        server.start()
        try:
            assert remove_shared_copies(base) == []  # a PostgreSQL runs from it: kept
            assert (home / "bin" / "postgres").exists()
            assert "1" in server.psql("SELECT 1")
        finally:
            server.stop()
        assert remove_shared_copies(base) == [shared_copy_path(base)]  # unused now: it goes
        assert not home.exists()
        again = shared_copy(base)  # what the next stack start does, in this process or another
        assert again == home and (again / "bin" / "postgres").exists()
        version = subprocess.run(
            [str(again / "bin" / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "PostgreSQL" in version.stdout
