"""What the figures were measured on: the machine and the versions of everything involved."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

WORKSPACE_PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "pydantic",
    "python-jose",
    "cryptography",
    "passlib",
    "libpass",
    "argon2-cffi",
    "sqlalchemy",
    "asyncpg",
    "redis",
    "httpx",
)
BENCH_PACKAGES = ("fastapi-users", "fastapi-users-db-sqlalchemy", "pwdlib", "pyjwt", "sqlalchemy")


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{kib / 1024 / 1024:.1f} GiB",
        "os": _os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _os_name() -> str:
    with open("/etc/os-release") as handle:
        for line in handle:
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return platform.system()


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    except OSError:
        return "unknown"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def versions(bench_python: Path, tools: dict[str, list[str]]) -> dict[str, str]:
    found = {}
    for name in WORKSPACE_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):  # e.g. passlib or its fork
            found[name] = metadata.version(name)
    for name, cmd in tools.items():
        line = _first_line(cmd)  # "wrk debian/4.1.0-3+b2 [epoll] ...", "Version:  3.7.15", ...
        match = re.search(r"\d+\.\d+[\w.+~-]*", line)
        found[name] = match.group(0) if match else line
    code = (
        "from importlib import metadata; "
        f"print(';'.join(n + '=' + metadata.version(n) for n in {BENCH_PACKAGES!r}))"
    )
    line = _first_line([str(bench_python), "-c", code])
    for item in line.split(";"):
        name, _, version = item.partition("=")
        if version:
            found[f"{name} (fastapi-users side)" if name == "sqlalchemy" else name] = version
    return found
