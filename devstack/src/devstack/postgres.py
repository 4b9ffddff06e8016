"""PostgreSQL from the `pgserver` wheel, run as a child process listening on loopback TCP.

PostgreSQL refuses to run as root; when we are root the server runs as `nobody`
through `setpriv`, which needs every parent of the data folder to be traversable.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.ports import wait_for_port

_UNPRIVILEGED = "nobody"


def pg_bin(name: str) -> Path:
    # Located, not imported: importing pgserver has side effects (runtime dirs, warnings).
    spec = importlib.util.find_spec("pgserver")
    assert spec is not None and spec.origin is not None, "the pgserver wheel is not installed"
    return Path(spec.origin).parent / "pginstall" / "bin" / name


def _as_postgres_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={_UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", "--"]


def _chown_for_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user=_UNPRIVILEGED, group="nogroup")


@dataclass
class Postgres:
    """One PostgreSQL server: `start()` initialises its data folder if needed, waits till ready."""

    data_dir: Path
    port: int
    # Tests trade crash safety for speed; a real run keeps fsync on.
    durable: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "socket"

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.pgdata, self.socket_dir):
            folder.mkdir(exist_ok=True)
            folder.chmod(0o700)
            _chown_for_postgres(folder)
        if (self.pgdata / "PG_VERSION").exists():
            return
        subprocess.run(
            [*_as_postgres_user(), str(pg_bin("initdb")), "-D", str(self.pgdata),
             "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-instructions"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def start(
        self, log_file: Path | None = None, timeout: float = 30.0, output: int | None = None
    ) -> None:
        """`output=subprocess.PIPE` hands the server's log to the caller (`self.process.stdout`)."""
        self.init()
        log = open(log_file, "ab") if log_file else None  # noqa: SIM115
        out: Any = output if output is not None else (log or subprocess.DEVNULL)
        self.process = subprocess.Popen(
            [*_as_postgres_user(), str(pg_bin("postgres")), "-D", str(self.pgdata),
             "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={self.socket_dir}",
             "-c", f"fsync={'on' if self.durable else 'off'}",
             "-c", "max_connections=200"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        if log is not None:
            log.close()  # the child holds its own descriptor
        wait_for_port(self.port, timeout)
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}")
            ready = subprocess.run(
                [str(pg_bin("pg_isready")), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "postgres", "-q"],
                check=False,
            )  # fmt: skip
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("postgres did not become ready")

    def create_database(self, name: str) -> None:
        """Create `name` unless it exists (idempotent, for repeated runs)."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"not a plain database name: {name!r}")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608 (checked above)
        if "1" not in exists:
            self.psql(f'CREATE DATABASE "{name}"')

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(pg_bin("psql")), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-tAc", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT): active transactions roll back, data is kept."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(2)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
