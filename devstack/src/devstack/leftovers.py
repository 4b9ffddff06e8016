"""What a launcher started, recorded in its data folder (`processes`), so that the next start
on the folder stops whatever a launcher killed outright (SIGKILL) left running.

The kernel already signals each child when the launcher dies (see
`processes.parent_death_guard`); this covers the rest: a child still shutting down when
the next start comes, a machine without setpriv. A record names a process by its pid and
its start time since this boot, so a pid since reused by another program is left alone.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import signal_group

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def identity(pid: int) -> str | None:
    """This boot's id and the process's start time; None if it is gone (or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = _BOOT_ID.read_text().strip()
    except OSError:
        return None
    state, *rest = stat.rsplit(")", 1)[1].split()
    if state == "Z":
        return None
    return f"{boot}/{rest[18]}"  # field 22 of proc_pid_stat(5): the start time


@dataclass(frozen=True)
class Recorded:
    pid: int
    identity: str
    stop_signal: signal.Signals
    name: str

    def running(self) -> bool:
        return identity(self.pid) == self.identity


class ProcessRecord:
    """`<data_dir>/processes`: one line per process started, `pid identity SIGNAL name`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "processes"

    def add(self, pid: int, name: str, stop_signal: signal.Signals = signal.SIGTERM) -> None:
        found = identity(pid)
        if found is None:
            return  # already gone
        with open(self.path, "a") as record:
            record.write(f"{pid} {found} {stop_signal.name} {name}\n")

    def entries(self) -> list[Recorded]:
        found = []
        with contextlib.suppress(FileNotFoundError):
            for line in self.path.read_text().splitlines():
                with contextlib.suppress(ValueError, KeyError):
                    pid, ident, sig, name = line.split(" ", 3)
                    found.append(Recorded(int(pid), ident, signal.Signals[sig], name))
        return found

    def stop_leftovers(self, say: Callable[[str], None], timeout: float = 15.0) -> None:
        """Stop (each with its own stop signal, then SIGKILL) the recorded processes that
        still run, and wait until they are gone; then forget the record."""
        running = [entry for entry in self.entries() if entry.running()]
        for entry in running:
            say(f"stopping {entry.name} (pid {entry.pid}), left running by an earlier launcher")
            signal_group(entry.pid, entry.stop_signal)
        if not _gone(running, timeout):
            for entry in running:
                if entry.running():
                    signal_group(entry.pid, signal.SIGKILL)
            _gone(running, timeout)
        self.forget()

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def _gone(entries: list[Recorded], timeout: float) -> bool:
    """Wait until none of `entries` runs; False if some still do after `timeout`."""
    deadline = time.monotonic() + timeout
    while any(entry.running() for entry in entries):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
