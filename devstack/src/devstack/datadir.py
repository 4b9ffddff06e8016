"""The local data folder: one running stack per folder (a lock), PostgreSQL's place, wiping.

Layout of <data_dir> (`.devstack/` in the checkout by default, ignored by git):
  devstack.lock     held by the running launcher; holds its pid and URL
  ready             `<pid> <URL>` once the launcher has started everything (till it stops)
  processes         what the launcher started (see `leftovers`), for the next start to clear
  postgres/         PostgreSQL's data (or `postgres.location` naming where it went instead)
  redis/            Redis's append-only file
  gateway/          Traefik's configuration, rendered at each start
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from devstack.postgres import Postgres, reachable_by_others, runs_as_other_user, shared_base
from devstack.processes import StepFailed

_FALLBACK_NOTE = "postgres.location"


class AlreadyRunning(RuntimeError):
    def __init__(self, data_dir: Path, holder: str) -> None:
        pid, _, url = holder.partition(" ")
        self.pid = int(pid) if pid.isdigit() else None
        self.url = url.strip() or None
        super().__init__(
            f"Gatehouse is already running from {data_dir}"
            + (f" (launcher pid {self.pid})" if self.pid else "")
            + (f" at {self.url}" if self.url else "")
            + ". Stop it first (Ctrl-C in its terminal"
            + (f", or `kill {self.pid}`" if self.pid else "")
            + "), or give this one its own GATEHOUSE_DATA_DIR and ports."
        )


class DataDirLock:
    """An exclusive, non-blocking lock on the data folder; the kernel drops it if we die."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / "devstack.lock"
        self._file: IO[str] | None = None

    def acquire(self, description: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the stack's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise AlreadyRunning(self.data_dir, holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {description}\n")
        handle.flush()
        self._file = handle

    def held_by_someone(self) -> bool:
        if not self.path.exists():
            return False
        with open(self.path) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def postgres_dir(data_dir: Path, say: Callable[[str], None]) -> Path:
    """PostgreSQL's folder. As root the server runs as `nobody`, which must be able to
    traverse every parent. We never change the permissions of the user's folders: if one
    blocks `nobody` (a private home folder, `mktemp -d`), the data goes to a folder of its
    own under /var/tmp instead, and we say so (`make clean` removes it too)."""
    wanted = data_dir / "postgres"
    noted = data_dir / _FALLBACK_NOTE
    if noted.exists():
        return Path(noted.read_text().strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    if not runs_as_other_user() or reachable_by_others(data_dir):
        return wanted
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    fallback = shared_base() / f"gatehouse-{digest}"
    say(
        f"PostgreSQL runs as 'nobody' (we are root) and cannot reach {wanted}: a parent folder "
        f"is closed to other users. Its data goes to {fallback} instead (`make clean` removes "
        "it too)."
    )
    fallback.mkdir(parents=True, exist_ok=True)
    fallback.chmod(0o755)
    noted.write_text(f"{fallback}\n")
    return fallback


def stop_leftover_postgres(pgdata: Path, say: Callable[[str], None]) -> None:
    """Stop a PostgreSQL that an earlier, killed launcher left running on this data folder."""
    pid_file = pgdata / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(pid_file.read_text().splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"postgres" not in cmdline:
            return
        say(f"stopping the PostgreSQL (pid {pid}) that an earlier run left behind")
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 15
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)


def initialise_postgres(postgres: Postgres, say: Callable[[str], None]) -> None:
    """initdb, uninterrupted: a Ctrl-C in the middle would leave a half-made cluster
    that no later run could start. Signals wait until it is done (the mask is
    inherited by initdb too), and a half-made cluster from before is cleared."""
    pgdata = postgres.pgdata
    made = (pgdata / "PG_VERSION").exists() and (pgdata / "global" / "pg_control").exists()
    if pgdata.exists() and any(pgdata.iterdir()) and not made:
        say(f"clearing {pgdata}: an earlier initialisation did not finish")
        shutil.rmtree(pgdata)
    deferred = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
    try:
        postgres.init()
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or b"").decode(errors="replace").strip()
        raise StepFailed(f"postgres could not be set up: {detail or error}") from error
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def wipe(data_dir: Path) -> list[Path]:
    """Remove the data folder (and PostgreSQL's fallback folder); refuse while a stack runs."""
    lock = DataDirLock(data_dir)
    if lock.held_by_someone():
        raise AlreadyRunning(data_dir, lock.path.read_text().strip())
    removed = []
    noted = data_dir / _FALLBACK_NOTE
    if noted.exists():
        elsewhere = Path(noted.read_text().strip())
        if elsewhere.name.startswith("gatehouse-") and elsewhere.exists():
            shutil.rmtree(elsewhere)
            removed.append(elsewhere)
    if data_dir.exists():
        shutil.rmtree(data_dir)
        removed.append(data_dir)
    return removed
