"""Traefik for the local stack: its configuration rendered from gateway/ at each start."""

from __future__ import annotations

import shutil
import string
import sys
from pathlib import Path

from devstack.settings import StackSettings


def tool(name: str) -> str:
    """An executable installed in this environment (next to our Python), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"`{name}` is not installed; run `make install`")
    return found


def _render(template: Path, target: Path, values: dict[str, str]) -> None:
    # Substitute strictly: a placeholder we forgot to fill must fail here, not in Traefik.
    target.write_text(string.Template(template.read_text()).substitute(values))


def _servers(ports: list[int]) -> str:
    """The YAML list of a load balancer's servers, for a placeholder indented 10 spaces
    (the template stays valid YAML: a test compares its routers with compose's)."""
    return "\n          ".join(f'- url: "http://127.0.0.1:{port}"' for port in ports)


def render_config(settings: StackSettings) -> Path:
    """Write Traefik's static and dynamic configuration under the data folder; return the
    static file. The middlewares are gateway/middlewares.yml as is (compose uses it too)."""
    out = settings.data_dir / "gateway"
    dynamic = out / "dynamic"
    dynamic.mkdir(parents=True, exist_ok=True)
    for stale in dynamic.glob("*.yml"):
        stale.unlink()
    source = settings.gateway_dir
    shutil.copyfile(source / "middlewares.yml", dynamic / "middlewares.yml")
    shutil.copyfile(source / "local" / "launcher-api.yml", dynamic / "launcher-api.yml")
    _render(
        source / "local" / "routes.yml.tmpl",
        dynamic / "routes.yml",
        {
            "auth_servers": _servers(settings.replica_ports("auth")),
            "resource_servers": _servers(settings.replica_ports("resource")),
            "web_url": f"http://127.0.0.1:{settings.web_port}",
        },
    )
    static = out / "traefik.yml"
    _render(
        source / "local" / "traefik.yml.tmpl",
        static,
        {
            "gateway_host": settings.gateway_host,
            "gateway_port": str(settings.gateway_port),
            "ping_port": str(settings.ping_port),
            "dynamic_dir": str(dynamic),
            "log_level": settings.gateway_log_level,
        },
    )
    return static


def traefik_command(settings: StackSettings) -> list[str]:
    return [tool("traefik"), f"--configFile={render_config(settings)}"]


def ping_url(settings: StackSettings) -> str:
    return f"http://127.0.0.1:{settings.ping_port}/ping"
