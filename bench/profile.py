"""Profiles for missed targets: py-spy samples a running service while the same load runs
again (never during a measured run), and we keep its collapsed stacks and a short summary of
where the time went."""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Profile:
    name: str
    samples: int
    # (function, share of the event loop's samples): the function is anywhere on the stack
    inclusive: list[tuple[str, float]]
    # (function, share of the event loop's samples): the function is on top of the stack
    self_time: list[tuple[str, float]]
    raw_path: Path
    worker_samples: int = 0  # samples of threads other than the event loop's (not idle)


def start(py_spy: Path, pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy on `pid` for `seconds`, collapsed stacks to `out` (raw format), started now."""
    cmd = [
        str(py_spy),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(round(seconds)),
        "--rate",
        "200",
        "--format",
        "raw",
        "--nolineno",
        "--output",
        str(out),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _short(frame: str) -> str:
    # "function (package/module.py)" -> "module.py:function", dropping the folders
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    return f"{where.rsplit('/', 1)[-1]}:{name}" if where else name


# Frames every request passes through (server, ASGI plumbing): always near 100%, never news.
_PLUMBING = (
    "<frozen runpy>",
    "__main__.py:",
    "main.py:main",
    "main.py:run",
    "core.py:",
    "server.py:Server.",
    "_compat.py:",
    "runners.py:",
    "base_events.py:",
    "httptools_impl.py:RequestResponseCycle.run_asgi",
    "proxy_headers.py:",
    "applications.py:",
    "errors.py:ServerErrorMiddleware.__call__",
    "exceptions.py:ExceptionMiddleware.__call__",
    "_exception_handler.py:",
    "asyncexitstack.py:",
    "_asgi.py:ExceptionTelemetryMiddleware.__call__",
    "_body_limit.py:AppBodyLimitMiddleware.__call__",
    "routing.py:APIRouter.app",
    "routing.py:Router.__call__",
    "routing.py:APIRouter.handle",
    "routing.py:_IncludedRouter.handle",
    "routing.py:_IncludedRouter._handle_selected",
    "routing.py:APIRoute.handle",
    "routing.py:Route.handle",
    "routing.py:request_response",
    "middleware.py:BodySizeLimit.__call__",
    "observability.py:RequestObservability.__call__",
    "observability.py:LastResortErrors.__call__",
    "routing.py:get_request_handler",
    "routing.py:run_endpoint_function",
    # logging's own layers: `Logger.info` (or `.log`) and the formatter tell the story
    "__init__.py:Logger._log",
    "__init__.py:Logger.handle",
    "__init__.py:Logger.callHandlers",
    "__init__.py:Handler.handle",
)
_IDLE = ("threading.py:Condition.wait", "queue.py:Queue.get", "threading.py:Event.wait")


def _stacks(raw: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            stacks.append(([_short(f) for f in stack.split(";") if f], int(count_text)))
    return stacks


def summarize(name: str, raw: Path, top: int = 15) -> Profile:
    """Where the event loop's thread spent its time (samples of the main thread, which runs
    every request); `worker_share` is what other threads did (argon2 hashing, sync code)."""
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = workers = 0
    for frames, count in _stacks(raw):
        if frames[-1] in _IDLE:
            continue
        if not any(f.startswith("runners.py:") for f in frames):
            workers += count
            continue
        total += count
        self_time[frames[-1]] += count
        for frame in set(frames):
            if not frame.startswith(_PLUMBING):
                inclusive[frame] += count
    share = (lambda c: c / total) if total else (lambda c: 0.0)
    return Profile(
        name=name,
        samples=total,
        inclusive=[(f, share(c)) for f, c in inclusive.most_common(top)],
        self_time=[(f, share(c)) for f, c in self_time.most_common(top) if c],
        raw_path=raw,
        worker_samples=workers,
    )


def share_of(raw: Path, needles: tuple[str, ...]) -> float:
    """The share of samples whose stack contains any frame matching one of `needles`."""
    hit = total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        total += int(count_text)
        if any(needle in stack for needle in needles):
            hit += int(count_text)
    return hit / total if total else 0.0
