"""The benchmark's throw-away environment, .bench-venv/: fastapi-users (for the side by side),
matplotlib (the chart) and py-spy (profiles). Made with the project's uv; never part of the
workspace, its lock file or any package's dependencies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bench.stack import ROOT

VENV = ROOT / ".bench-venv"
PYTHON = VENV / "bin" / "python"
PY_SPY = VENV / "bin" / "py-spy"
REQUIREMENTS = Path(__file__).parent / "requirements.txt"
# Same versions as the services run with, so the comparison isolates the auth library.
SAME_AS_WORKSPACE = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "uvloop",
    "httptools",
    "argon2-cffi",
    "cryptography",
    "asyncpg",
)


def _uv() -> str:
    local = ROOT / ".tools" / "bin" / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if found is None:
        raise SystemExit("uv is missing: run `make install` first")
    return found


def ensure() -> Path:
    """Create or update .bench-venv/ when its requirements changed; return its Python."""
    pins = [f"{name}=={metadata.version(name)}" for name in SAME_AS_WORKSPACE]
    wanted = REQUIREMENTS.read_text() + "\n".join(pins) + "\n"
    stamp = VENV / ".bench-requirements"
    if PYTHON.exists() and stamp.exists() and stamp.read_text() == wanted:
        return PYTHON
    print("bench: preparing .bench-venv/ (fastapi-users, matplotlib, py-spy) ...", flush=True)
    env_python = getattr(sys, "_base_executable", sys.executable)
    if not PYTHON.exists():
        subprocess.run([_uv(), "venv", "--quiet", "--python", env_python, str(VENV)], check=True)
    subprocess.run(
        [
            _uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(PYTHON),
            "-r",
            str(REQUIREMENTS),
            *pins,
        ],
        check=True,
    )
    stamp.write_text(wanted)
    return PYTHON
