"""PostgreSQL from the `pgserver` wheel, run as a child process listening on loopback TCP.

PostgreSQL refuses to run as root; when we are root the server runs as `nobody` through
`setpriv`. `nobody` must reach both the programs and the data folder, and a checkout may sit
in a folder others cannot enter (a home folder, `mktemp -d`, a CI workspace). We never change
the permissions of the user's folders: instead the bundled installation is copied once per
version to a shared folder (`/var/tmp/gatehouse-pgsql-<version>`), and the data goes to a
folder of its own there (see `datadir.postgres_dir`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import importlib.util
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.ports import wait_for_port
from devstack.processes import parent_death_guard

_UNPRIVILEGED = "nobody"
_COPY_PREFIX = "gatehouse-pgsql-"


def runs_as_other_user() -> bool:
    """True when PostgreSQL cannot run as us (root) and runs as `nobody` instead."""
    return os.geteuid() == 0


def shared_base() -> Path:
    """A folder every user may enter, for what `nobody` must reach."""
    for candidate in (Path("/var/tmp"), Path(tempfile.gettempdir()), Path("/tmp")):  # noqa: S108
        if candidate.is_dir() and reachable_by_others(candidate):
            return candidate
    raise RuntimeError("no folder that every user may enter (/var/tmp, /tmp)")


def reachable_by_others(path: Path) -> bool:
    """True when a user other than the owner can traverse `path` and every parent."""
    return all(
        folder.stat().st_mode & stat.S_IXOTH for folder in (path, *path.parents) if folder.exists()
    )


def bundled_home() -> Path:
    # Located, not imported: importing pgserver has side effects (runtime dirs, warnings).
    spec = importlib.util.find_spec("pgserver")
    assert spec is not None and spec.origin is not None, "the pgserver wheel is not installed"
    return Path(spec.origin).parent / "pginstall"


def shared_copy_path(base: Path | None = None) -> Path:
    """Where the copy of this pgserver version goes, in `base` (default: `shared_base()`)."""
    return (base or shared_base()) / f"{_COPY_PREFIX}{importlib.metadata.version('pgserver')}"


def pg_home() -> Path:
    """The installation to run: the bundled one, or, when `nobody` cannot reach it, a copy
    in the shared folder, made once per pgserver version and reused by every checkout."""
    bundled = bundled_home()
    if not runs_as_other_user() or _reachable(bundled):
        return bundled
    return shared_copy()


@functools.cache
def _reachable(folder: Path) -> bool:
    return reachable_by_others(folder)


def shared_copy(base: Path | None = None) -> Path:
    """The shared copy's installation, made (again) when it is not there: checked at every
    call, so a copy that `make clean` removed meanwhile is simply made anew."""
    bundled = bundled_home()
    copy = shared_copy_path(base)
    # The wheel's programs find their libraries at $ORIGIN/../../../pgserver.libs: keep
    # the wheel's layout (pgserver/pginstall beside pgserver.libs).
    home = copy / "pgserver" / "pginstall"
    if not (home / "bin" / "postgres").exists():
        site = bundled.parent.parent
        _copy_atomically([site / "pgserver" / "pginstall", site / "pgserver.libs"], copy, site)
    return home


def _copy_atomically(sources: list[Path], target: Path, base: Path) -> None:
    # Made beside the target, then renamed: a concurrent start sees all of it or none.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        made = staging / "copy"
        for source in sources:
            shutil.copytree(source, made / source.relative_to(base), symlinks=True)
        for folder, _, _ in os.walk(staging):
            os.chmod(folder, 0o755)  # noqa: S103 (`nobody` must run the programs in it)
        try:
            os.rename(made, target)
        except OSError:
            if not target.exists():
                raise  # not a concurrent copy that won the race: a real failure
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_shared_copies(base: Path | None = None) -> list[Path]:
    """`make clean`: the shared copies of the installation that no running program uses
    (another checkout's stack may be running from one); made again when next needed."""
    removed = []
    for copy in (base or shared_base()).glob(f"{_COPY_PREFIX}*"):
        if _in_use(copy):
            continue
        shutil.rmtree(copy, ignore_errors=True)
        removed.append(copy)
    return removed


def _in_use(folder: Path) -> bool:
    """True when a running process's program lies in `folder` (a PostgreSQL of its copy)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "exe")).is_relative_to(folder):
                    return True
    return False


def pg_bin(name: str) -> Path:
    return pg_home() / "bin" / name


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A throw-away folder for a test server's data that `nobody` can reach."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=shared_base()) as tmp:
        os.chmod(tmp, 0o755)  # noqa: S103 (our own new folder: postgres runs as nobody)
        yield Path(tmp)


def _as_postgres_user() -> list[str]:
    if not runs_as_other_user():
        return []
    return ["setpriv", f"--reuid={_UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", "--"]


def _chown_for_postgres(path: Path) -> None:
    if runs_as_other_user():
        shutil.chown(path, user=_UNPRIVILEGED, group="nogroup")


@dataclass
class Postgres:
    """One PostgreSQL server: `start()` initialises its data folder if needed, waits till ready."""

    data_dir: Path
    port: int
    # Tests trade crash safety for speed; a real run keeps fsync on.
    durable: bool = True
    # The installation whose programs run (default: `pg_home()`).
    home: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def _bin(self, name: str) -> Path:
        return self.home / "bin" / name if self.home is not None else pg_bin(name)

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
        initdb = [*_as_postgres_user(), str(self._bin("initdb")), "-D", str(self.pgdata)]
        initdb += ["-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-instructions"]
        subprocess.run(initdb, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(
        self, log_file: Path | None = None, timeout: float = 30.0, output: int | None = None
    ) -> None:
        """`output=subprocess.PIPE` hands the server's log to the caller (`self.process.stdout`)."""
        self.launch(log_file, output)
        self.wait_ready(timeout)

    def launch(self, log_file: Path | None = None, output: int | None = None) -> None:
        """Start the server process (initialising the data folder first if needed)."""
        self.init()
        log = open(log_file, "ab") if log_file else None  # noqa: SIM115
        out: Any = output if output is not None else (log or subprocess.DEVNULL)
        options = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "on" if self.durable else "off",
            "max_connections": "200",
        }
        # If whoever started it dies without stopping it: a fast shutdown (SIGINT), which
        # does not wait for clients to disconnect. After the change of user (see there).
        guard = parent_death_guard(signal.SIGINT)
        user = _as_postgres_user()
        prefix = [*user[:-1], *guard[1:]] if user and guard else [*user, *guard]
        args = [*prefix, str(self._bin("postgres")), "-D", str(self.pgdata)]
        args += ["-p", str(self.port)]
        for name, value in options.items():
            args += ["-c", f"{name}={value}"]
        self.process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        if log is not None:
            log.close()  # the child holds its own descriptor

    def wait_ready(self, timeout: float = 30.0) -> None:
        wait_for_port(self.port, timeout)
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        is_ready = [str(self._bin("pg_isready")), *self._client_args(), "-q"]
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}")
            ready = subprocess.run(is_ready, check=False)
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

    def _client_args(self) -> list[str]:
        """Where PostgreSQL's own clients (psql, pg_isready) connect, and as whom."""
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]

    def psql(self, sql: str, database: str = "postgres") -> str:
        args = [str(self._bin("psql")), *self._client_args(), "-d", database, "-tAc", sql]
        result = subprocess.run(args, check=True, capture_output=True, text=True)
        return result.stdout

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT): active transactions roll back, data is kept."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
