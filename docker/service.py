"""The entry point of the Python service images (docker/service.Dockerfile).

GATEHOUSE_SERVICE (set by the image from its PACKAGE build argument) names the service:
`python service.py serve` runs it with uvicorn, `python service.py healthcheck` asks its
/healthz (the image's HEALTHCHECK). One file for both services, like the Dockerfile.
"""

from __future__ import annotations

import os
import sys
import urllib.request

SERVICES = {"auth-service": "/api/auth", "resource-service": "/api/resource"}


def serve(package: str) -> None:
    module = package.replace("-", "_")
    # --timeout-keep-alive outlasts Traefik's idle backend connections (90 s), so a reused
    # connection is never closed under a request (a 502). uvicorn believes X-Forwarded-*
    # only from FORWARDED_ALLOW_IPS (compose sets the gateway's address); each service's
    # own *_TRUSTED_PROXIES does likewise.
    argv = ["uvicorn", f"{module}.app:create_app", "--factory", "--host", "0.0.0.0"]  # noqa: S104
    argv += ["--port", "8000", "--timeout-keep-alive", "100"]
    os.execvp(argv[0], argv)  # noqa: S606 - replaces this process, as a shell's exec would


def healthcheck(package: str) -> None:
    url = f"http://127.0.0.1:8000{SERVICES[package]}/healthz"
    with urllib.request.urlopen(url, timeout=2):
        pass


def main(argv: list[str]) -> int:
    package = os.environ.get("GATEHOUSE_SERVICE", "")
    if package not in SERVICES or argv not in (["serve"], ["healthcheck"]):
        print(f"usage: GATEHOUSE_SERVICE={'|'.join(SERVICES)} service.py serve|healthcheck")
        return 2
    serve(package) if argv == ["serve"] else healthcheck(package)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
