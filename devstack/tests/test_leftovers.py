"""The next start stops what a launcher killed outright left running, and only that."""

from __future__ import annotations

import subprocess
from pathlib import Path

from devstack.leftovers import ProcessRecord, identity
from devstack.ports import free_port, port_in_use
from devstack.redis_server import RedisServer


def test_recorded_processes_still_running_are_stopped_and_a_reused_pid_is_not(
    tmp_path: Path,
) -> None:
    left = RedisServer(port=free_port())  # what an earlier run started and left
    left.start()
    innocent = subprocess.Popen(["sleep", "60"])  # a program that got a recorded pid later
    gone = subprocess.Popen(["true"])
    gone.wait()
    record = ProcessRecord(tmp_path)
    try:
        assert left.process is not None
        record.add(left.process.pid, "redis")
        record.add(gone.pid, "web")  # exited: not recorded at all
        with open(record.path, "a") as lines:  # the pid, with an earlier process's start time
            lines.write(f"{innocent.pid} {identity(innocent.pid)}0 SIGTERM mail\n")
        assert [entry.name for entry in record.entries()] == ["redis", "mail"]
        said: list[str] = []
        record.stop_leftovers(said.append)
        assert left.process.wait(5) is not None
        assert not port_in_use(left.port)
        assert innocent.poll() is None  # left alone
        assert len(said) == 1 and f"redis (pid {left.process.pid})" in said[0]
        assert not record.path.exists()
    finally:
        innocent.kill()
        innocent.wait()
        left.stop()
