"""Running wrk (Debian's package) and reading its figures: each script ends with
lua/summary.lua, whose `done()` prints one JSON line that we parse."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).parent / "lua"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    failed: int  # non-2xx answers, socket errors and timeouts
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    extra: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.requests - self.failed

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    @staticmethod
    def combine(parts: Sequence[WrkResult]) -> WrkResult:
        """Several rounds of the same load as one (rates add up by time; latencies: worst)."""
        extra: dict[str, int] = {}
        for part in parts:
            for key, value in part.extra.items():
                extra[key] = extra.get(key, 0) + value
        return WrkResult(
            requests=sum(p.requests for p in parts),
            seconds=sum(p.seconds for p in parts),
            failed=sum(p.failed for p in parts),
            p50_ms=max(p.p50_ms for p in parts),
            p90_ms=max(p.p90_ms for p in parts),
            p99_ms=max(p.p99_ms for p in parts),
            max_ms=max(p.max_ms for p in parts),
            extra=extra,
        )


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def _script(name: str | None) -> Path:
    """The named script with the summary appended, as one file (wrk takes one script)."""
    body = (LUA / f"{name}.lua").read_text() if name else ""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - removed by the caller
        "w", suffix=".lua", prefix="bench-", delete=False
    )
    with handle:
        handle.write(body + "\n" + (LUA / "summary.lua").read_text())
    return Path(handle.name)


def command(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    args: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    script_path: Path | None = None,
) -> list[str]:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"load generators stay on loopback: {url}")
    cmd = [
        wrk_binary(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, math.ceil(seconds))}s",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script_path is not None:
        cmd += ["-s", str(script_path)]
    cmd.append(url)
    if args:
        cmd += ["--", *args]
    return cmd


def parse(output: str) -> WrkResult:
    summary: dict[str, int] | None = None
    extra: dict[str, int] = {}
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            summary = json.loads(line.removeprefix("BENCH_JSON "))
        elif line.startswith("BENCH_EXTRA "):
            extra.update(json.loads(line.removeprefix("BENCH_EXTRA ")))
    if summary is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    failed = sum(summary[key] for key in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        failed=failed,
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        extra=extra,
    )


class Wrk:
    """One wrk run, started now; `result()` waits for it (bounded by its duration)."""

    def __init__(
        self,
        url: str,
        *,
        seconds: float,
        connections: int,
        threads: int = 1,
        script: str | None = None,
        args: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.script_path = _script(script)
        self.seconds = seconds
        cmd = command(
            url,
            seconds=seconds,
            connections=connections,
            threads=threads,
            args=args,
            headers=headers,
            script_path=self.script_path,
        )
        self.process = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(env) if env is not None else None,
        )

    def result(self) -> WrkResult:
        try:
            output, _ = self.process.communicate(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise
        finally:
            self.script_path.unlink(missing_ok=True)
        return parse(output)


def run(url: str, **kwargs: object) -> WrkResult:
    return Wrk(url, **kwargs).result()  # type: ignore[arg-type]
