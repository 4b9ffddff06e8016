"""Where the local stack listens and keeps its data, from GATEHOUSE_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from devstack.ports import free_port, port_in_use

MAX_REPLICAS = 16

# name of the setting, its environment variable, its default port
PORTS: tuple[tuple[str, str, int], ...] = (
    ("gateway_port", "GATEHOUSE_PORT", 8080),
    ("ping_port", "GATEHOUSE_PING_PORT", 8081),
    ("auth_port", "GATEHOUSE_AUTH_PORT", 8001),
    ("resource_port", "GATEHOUSE_RESOURCE_PORT", 8002),
    ("web_port", "GATEHOUSE_WEB_PORT", 8003),
    ("postgres_port", "GATEHOUSE_POSTGRES_PORT", 54320),
    ("redis_port", "GATEHOUSE_REDIS_PORT", 63790),
    ("smtp_port", "GATEHOUSE_SMTP_PORT", 1025),
    ("mail_port", "GATEHOUSE_MAIL_PORT", 8025),
)


def find_root(start: Path | None = None) -> Path:
    """The checkout: the nearest folder above `start` (or this file) holding gateway/ and web/."""
    candidates = [start or Path.cwd(), Path(__file__).resolve()]
    for origin in candidates:
        for folder in (origin, *origin.parents):
            if (folder / "gateway").is_dir() and (folder / "pyproject.toml").is_file():
                return folder
    raise FileNotFoundError("cannot find the Gatehouse checkout (a folder with gateway/)")


@dataclass(frozen=True)
class StackSettings:
    root: Path
    data_dir: Path
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    ping_port: int = 8081
    auth_port: int = 8001
    resource_port: int = 8002
    web_port: int = 8003
    postgres_port: int = 54320
    redis_port: int = 63790
    smtp_port: int = 1025  # the mail catcher's SMTP server
    mail_port: int = 8025  # its inbox and Mailpit-compatible API
    # Replicas beyond the first of each service listen on ports of their own (from_env:
    # the first port + 100, + 200, …; on_free_ports: free ones), all behind the gateway.
    auth_extra_ports: tuple[int, ...] = ()
    resource_extra_ports: tuple[int, ...] = ()
    # Crash safety for PostgreSQL (fsync); throw-away test stacks turn it off.
    durable: bool = True
    gateway_log_level: str = "INFO"

    @property
    def public_url(self) -> str:
        """The gateway as a browser sees it: `localhost`, so cookies and origins match."""
        return f"http://localhost:{self.gateway_port}"

    @property
    def mail_url(self) -> str:
        return f"http://127.0.0.1:{self.mail_port}"

    @property
    def web_dir(self) -> Path:
        return self.root / "web"

    @property
    def gateway_dir(self) -> Path:
        return self.root / "gateway"

    def replica_ports(self, service: str) -> list[int]:
        """Every port `service` ("auth" or "resource") listens on, one per replica."""
        first: int = getattr(self, f"{service}_port")
        extra: tuple[int, ...] = getattr(self, f"{service}_extra_ports")
        return [first, *extra]

    def ports(self) -> Iterator[tuple[str, int, str]]:
        """(what, port, the variable that changes it) for every port the stack binds."""
        for name, variable, _ in PORTS:
            yield name.removesuffix("_port"), getattr(self, name), variable
        for service in ("auth", "resource"):
            variable = f"GATEHOUSE_{service.upper()}_PORT"
            for n, port in enumerate(self.replica_ports(service)[1:], start=1):
                yield f"{service}-{n + 1}", port, f"{variable} (replica {n + 1}: it + {100 * n})"

    def busy_ports(self) -> list[str]:
        """Each port of ours something else already listens on, with how to change it."""
        return [
            f"{port} ({what}; set {variable} to change it)"
            for what, port, variable in self.ports()
            if port_in_use(port)
        ]

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, root: Path | None = None
    ) -> StackSettings:
        """`make run`'s settings: fixed default ports, each overridable; data in .devstack/."""
        env = os.environ if env is None else env
        root = root or find_root()
        values: dict[str, object] = {
            "root": root,
            "data_dir": Path(env.get("GATEHOUSE_DATA_DIR") or root / ".devstack").resolve(),
            "gateway_host": env.get("GATEHOUSE_HOST", "127.0.0.1"),
            "gateway_log_level": env.get("GATEHOUSE_GATEWAY_LOG_LEVEL", "INFO"),
        }
        for name, variable, default in PORTS:
            values[name] = int(env.get(variable) or default)
        for service in ("auth", "resource"):
            replicas = replica_count(env, service)
            first = int(values[f"{service}_port"])  # type: ignore[call-overload]
            values[f"{service}_extra_ports"] = tuple(first + 100 * n for n in range(1, replicas))
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def on_free_ports(
        cls,
        root: Path,
        data_dir: Path,
        durable: bool = False,
        auth_replicas: int = 1,
        resource_replicas: int = 1,
    ) -> StackSettings:
        """A second, throw-away stack (tests): every port picked free, data in `data_dir`."""
        names = [f.name for f in fields(cls) if f.name.endswith("_port")]
        wanted = len(names) + auth_replicas - 1 + resource_replicas - 1
        picked: set[int] = set()
        while len(picked) < wanted:
            picked.add(free_port())
        free = sorted(picked)
        ports: dict[str, object] = dict(zip(names, free, strict=False))
        rest = free[len(names) :]
        ports["auth_extra_ports"] = tuple(rest[: auth_replicas - 1])
        ports["resource_extra_ports"] = tuple(rest[auth_replicas - 1 :])
        return cls(root=root, data_dir=data_dir, durable=durable, **ports)  # type: ignore[arg-type]


def replica_count(env: Mapping[str, str], service: str) -> int:
    """GATEHOUSE_AUTH_REPLICAS / GATEHOUSE_RESOURCE_REPLICAS: 1 to 16, default 1."""
    variable = f"GATEHOUSE_{service.upper()}_REPLICAS"
    raw = env.get(variable) or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_REPLICAS:
        raise ValueError(f"{variable} must be a whole number from 1 to {MAX_REPLICAS}, not {raw!r}")
    return int(raw)
