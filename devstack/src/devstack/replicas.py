"""The services' processes: one per replica, each a uvicorn on a port of its own, and what
the gateway's load balancer sees of them (Traefik's read-only API on the ping entrypoint)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import httpx

from devstack.processes import StepFailed
from devstack.settings import StackSettings

# (name, Python package, URL prefix, console script)
SERVICES = (
    ("auth", "auth_service", "/api/auth", "auth-service"),
    ("resource", "resource_service", "/api/resource", "resource-service"),
)


@dataclass(frozen=True)
class Replica:
    name: str  # the process: `auth`, `auth-2`, …
    service: str
    package: str
    prefix: str
    port: int

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}/readyz"

    def command(self) -> list[str]:
        app = f"{self.package}.app:create_app"
        args = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--timeout-graceful-shutdown", "3"]
        # Longer than Traefik keeps idle backend connections (90 s): the service never
        # closes one just as the gateway sends a POST on it (a 502).
        return [*args, "--timeout-keep-alive", "100"]


def replicas_of(settings: StackSettings) -> dict[str, Replica]:
    found = {}
    for service, package, prefix, _ in SERVICES:
        for n, port in enumerate(settings.replica_ports(service), start=1):
            name = service if n == 1 else f"{service}-{n}"
            found[name] = Replica(name, service, package, prefix, port)
    return found


def replaceable(settings: StackSettings, name: str) -> bool:
    """A replica of a service that has others: its exit does not break the stack."""
    replica = replicas_of(settings).get(name)
    return replica is not None and len(settings.replica_ports(replica.service)) > 1


def gateway_sees(settings: StackSettings, service: str) -> dict[str, str]:
    """Each replica of `service` as the gateway's load balancer sees it: URL → UP/DOWN;
    empty until Traefik answers."""
    url = f"http://127.0.0.1:{settings.ping_port}/api/http/services/{service}@file"
    try:
        response = httpx.get(url, timeout=2.0)
    except httpx.HTTPError:
        return {}
    if response.status_code != 200:
        return {}
    status: dict[str, str] = response.json().get("serverStatus", {})
    return status


def wait_gateway(settings: StackSettings, *only: str, timeout: float = 30.0) -> None:
    """Traefik loads its routes just after it starts answering pings, and takes a replica
    into its rotation at the first health check it passes: wait for both."""
    deadline = time.monotonic() + timeout
    for service, _, prefix, _ in SERVICES:
        if only and service not in only:
            continue
        wanted = len(settings.replica_ports(service))
        while list(gateway_sees(settings, service).values()).count("UP") < wanted:
            if time.monotonic() > deadline:
                raise StepFailed(f"the gateway does not route {prefix} (after {timeout:.0f}s)")
            time.sleep(0.1)
