"""The resource service's credentials for the revocation feed: a service client with scope
`revocations:read`, made with the auth service's CLI once per data folder and reused."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CLIENT_NAME = "resource-service revocation feed"
SCOPE = "revocations:read"


def _cli(script: str, env: Mapping[str, str], *args: str) -> Any:
    done = subprocess.run(
        [script, *args], env=dict(env), capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def ensure(script: str, env: Mapping[str, str], data_dir: Path) -> dict[str, str]:
    """RESOURCE_REVOCATION_CLIENT_ID/SECRET for the resource service (none when given)."""
    if env.get("RESOURCE_REVOCATION_CLIENT_ID"):
        return {}
    saved = data_dir / "revocation-client.json"
    if saved.exists():
        known = json.loads(saved.read_text())
        listed = {client["client_id"] for client in _cli(script, env, "clients", "list")}
        if known["client_id"] in listed:
            return _env(known)
    created = _cli(script, env, "clients", "create", "--name", CLIENT_NAME, "--scope", SCOPE)
    credentials = {"client_id": created["client_id"], "client_secret": created["client_secret"]}
    saved.touch(mode=0o600)
    saved.write_text(json.dumps(credentials))
    return _env(credentials)


def _env(credentials: Mapping[str, str]) -> dict[str, str]:
    return {
        "RESOURCE_REVOCATION_CLIENT_ID": credentials["client_id"],
        "RESOURCE_REVOCATION_CLIENT_SECRET": credentials["client_secret"],
    }
