"""Where the gateway's cost goes (Traefik is Go: no py-spy). A second Traefik, for the
benchmark only, with the stack's own static settings and middlewares, and one entrypoint per
combination: no middleware, each middleware alone, all three (what the stack runs). The same
GET then goes through each, and /proc says how much CPU Traefik spent per request."""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from devstack.gateway import tool
from devstack.ports import free_port
from devstack.stack import Stack

from bench.procs import Server

VARIANTS = {
    "no middleware": [],
    "security-headers": ["security-headers@file"],
    "body-limit (buffering)": ["body-limit@file"],
    "api-rate-limit": ["api-rate-limit@file"],
    "all three (as deployed)": ["security-headers@file", "body-limit@file", "api-rate-limit@file"],
}


def _wait_routed(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the bench-only Traefik does not route {url}")


@contextmanager
def ablation_gateway(
    stack: Stack, log_dir: Path, env: dict[str, str]
) -> Iterator[tuple[Server, dict[str, int]]]:
    """A bench-only Traefik; yields it and the port of each variant."""
    rendered = stack.settings.data_dir / "gateway"
    static = yaml.safe_load((rendered / "traefik.yml").read_text())
    folder = log_dir / "traefik-ablation"
    dynamic = folder / "dynamic"
    dynamic.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(rendered / "dynamic" / "middlewares.yml", dynamic / "middlewares.yml")
    web = static["entryPoints"]["web"]
    ports = {name: free_port() for name in VARIANTS}
    entry_points = {"ping": static["entryPoints"]["ping"]}
    entry_points["ping"]["address"] = f"127.0.0.1:{free_port()}"
    routers = {}
    for number, (name, middlewares) in enumerate(VARIANTS.items()):
        point = f"v{number}"
        entry_points[point] = {**copy.deepcopy(web), "address": f"127.0.0.1:{ports[name]}"}
        routers[point] = {
            "rule": "PathPrefix(`/api/resource`)",
            "entryPoints": [point],
            "middlewares": middlewares,
            "service": "resource",
        }
    static["entryPoints"] = entry_points
    static["providers"]["file"]["directory"] = str(dynamic)
    static["log"] = {"level": "ERROR", "noColor": True}
    resource = f"http://127.0.0.1:{stack.settings.resource_port}"
    routes = {
        "http": {
            "routers": routers,
            "services": {"resource": {"loadBalancer": {"servers": [{"url": resource}]}}},
        }
    }
    # JSON is YAML: Traefik reads both files by their .yml names.
    (dynamic / "routes.yml").write_text(json.dumps(routes, indent=1))
    (folder / "traefik.yml").write_text(json.dumps(static, indent=1))
    ping_port = int(entry_points["ping"]["address"].rsplit(":", 1)[1])
    server = Server(
        "traefik-ablation",
        [tool("traefik"), f"--configFile={folder / 'traefik.yml'}"],
        port=ping_port,
        env=env,
        log_dir=log_dir,
        cwd=folder,
    )
    try:
        server.wait_ready("/ping")
        for port in ports.values():  # routes load just after the first pings
            _wait_routed(f"http://127.0.0.1:{port}/api/resource/healthz")
        yield server, ports
    finally:
        server.stop()
