"""The settings every service has; each service's `Settings` adds its own (and its prefix)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

CommaList = Annotated[list[str], NoDecode]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def split_commas(value: object) -> object:
    """A comma-separated environment variable as a list; a list stays as it is."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class ServiceSettings(BaseSettings):
    database_pool_size: int = Field(default=10, ge=1)
    # Seconds a request waits for a pooled connection before it gets 503 + Retry-After.
    database_pool_timeout: float = Field(default=10.0, gt=0, le=300)

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Peers whose X-Forwarded-For is believed: the gateway, by default on loopback.
    trusted_proxies: CommaList = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    log_level: str = "INFO"
    # auto: one readable line per event on a terminal, JSON lines otherwise; or json, text.
    log_format: Literal["auto", "json", "text"] = "auto"
    access_log: bool = True  # one JSON line per request
    # Swagger UI at <prefix>/docs (the OpenAPI document is served either way).
    docs: bool = True

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return split_commas(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @property
    def trusted_networks(self) -> list[Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]
