"""Child processes in process groups of their own, with one combined, prefixed log stream.

Every child starts in a new session (so the terminal's Ctrl-C reaches only the
launcher, which then stops the children in order) and is stopped by signalling
its whole process group, so nothing it spawned is left behind. Each also gets a
signal from the kernel if the launcher dies without stopping it (SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from devstack.ports import http_status

_COLOURS = ("36", "33", "35", "32", "34", "31", "96", "93")


class LogSink:
    """Writes lines as `name | text`, from any thread, never interleaving two lines."""

    def __init__(self, stream: IO[str] | None = None, width: int = 9) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.width = width
        self._lock = threading.Lock()
        self._colours: dict[str, str] = {}
        self.colour = self.stream.isatty() and "NO_COLOR" not in os.environ

    def _prefix(self, name: str) -> str:
        label = f"{name:<{self.width}} |"
        if not self.colour:
            return label
        code = self._colours.setdefault(name, _COLOURS[len(self._colours) % len(_COLOURS)])
        return f"\033[{code}m{label}\033[0m"

    def line(self, name: str, text: str) -> None:
        self.lines(name, [text])

    def lines(self, name: str, texts: list[str]) -> None:
        """Several lines of one process, written (and flushed) at once."""
        prefix = self._prefix(name)
        block = "".join(f"{prefix} {text.rstrip()}\n" for text in texts)
        with self._lock, contextlib.suppress(ValueError):  # ValueError: the stream was closed
            self.stream.write(block)
            self.stream.flush()

    def pump(self, name: str, pipe: IO[bytes]) -> threading.Thread:
        """Copy `pipe` to the sink, in a daemon thread, until it closes: whatever the pipe
        holds at each read (up to 64 kB) in one write, whole lines only (a busy service's
        lines cost the launcher one write per block, not one per line)."""

        def run() -> None:
            pending = b""
            with pipe:
                read = getattr(pipe, "read1", pipe.read)
                while chunk := read(65536):
                    *complete, pending = (pending + chunk).split(b"\n")
                    if complete:
                        self.lines(name, [raw.decode("utf-8", "replace") for raw in complete])
            if pending:
                self.line(name, pending.decode("utf-8", "replace"))

        thread = threading.Thread(target=run, name=f"log-{name}", daemon=True)
        thread.start()
        return thread


def parent_death_guard(sig: signal.Signals = signal.SIGTERM) -> list[str]:
    """A prefix for a child's command: the kernel sends it `sig` when the launcher dies
    (PR_SET_PDEATHSIG, set by util-linux's setpriv, kept across the exec). Combined with
    other setpriv options it must come last: a change of user clears it."""
    if shutil.which("setpriv") is None:
        return []
    return ["setpriv", "--pdeathsig", sig.name.removeprefix("SIG"), "--"]


def describe(pid: int) -> str:
    """`pid (command line)`, shortened, for saying what is still running."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return str(pid)
    command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return f"{pid} ({command[:80]}{'…' if len(command) > 80 else ''})"


def stop_outcome(leftovers: list[int]) -> str:
    """The last line of a stop: nothing left running, or what is."""
    if not leftovers:
        return "stopped; nothing left running"
    return "stopped, but still running: " + ", ".join(describe(pgid) for pgid in leftovers)


def group_alive(pgid: int) -> bool:
    """True while any process of the process group `pgid` still exists (zombies included)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class ManagedProcess:
    """One child process in its own process group; `stop()` ends the whole group."""

    name: str
    args: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    # The signal that asks this program for a clean, fast shutdown.
    stop_signal: signal.Signals = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _pump: threading.Thread | None = field(default=None, repr=False)

    def start(self, sink: LogSink) -> ManagedProcess:
        self.process = subprocess.Popen(
            [*parent_death_guard(self.stop_signal), *self.args],
            env=dict(self.env) if self.env is not None else None,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.process.stdout is not None:
            self._pump = sink.pump(self.name, self.process.stdout)
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the group to stop, wait, then kill what is left; reap the leader."""
        if self.process is None:
            return
        pgid = self.process.pid  # the leader of a new session is its group's id
        if self.process.poll() is None:
            signal_group(pgid, self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                signal_group(pgid, signal.SIGKILL)
                self.process.wait()
        # Helpers the leader started may outlive it for a moment: make sure they go too.
        deadline = time.monotonic() + timeout
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if group_alive(pgid):
            signal_group(pgid, signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(timeout=2)


class StepFailed(RuntimeError):
    """A start-up step failed; the message says which and how."""


def kill_group(pgid: int, timeout: float = 5.0) -> None:
    """SIGKILL a process group and wait (up to `timeout`) until it is gone."""
    if not group_alive(pgid):
        return
    signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_ready(
    children: Mapping[str, ManagedProcess], checks: dict[str, str], timeout: float = 120.0
) -> None:
    """Poll every check (name: URL of `children[name]`) in turn (one thread: Ctrl-C
    interrupts at once) until each answers 200 (the web server: anything), failing fast
    if a process exits."""
    pending = dict(checks)
    deadline = time.monotonic() + timeout
    while pending:
        for name, url in list(pending.items()):
            child = children[name]
            if not child.running():
                code = child.process.returncode if child.process is not None else None
                raise StepFailed(
                    f"{name} exited with status {code} while starting (its log is above)"
                )
            status = http_status(url, timeout=1.0)
            if status == 200 or (name == "web" and status is not None):
                del pending[name]
        if pending and time.monotonic() > deadline:
            raise StepFailed(f"not ready within {timeout:.0f}s: {', '.join(pending)}")
        time.sleep(0.1)
