"""Settings, read once from the environment (prefix `RESOURCE_`)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RESOURCE_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/resource"
    database_pool_size: int = Field(default=10, ge=1)

    # Tokens must name this issuer; its discovery document says where the keys are...
    issuer: str = "http://localhost:8080/api/auth"
    audience: str = "resource-service"
    # ...unless this is set: the issuer is the public gateway URL, the keys may be closer.
    jwks_url: str | None = None
    leeway: float = Field(default=30.0, ge=0, le=300)
    # An unknown `kid` triggers at most one JWKS fetch per this many seconds.
    jwks_refetch_interval: float = Field(default=10.0, gt=0, le=3600)

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Peers whose X-Forwarded-For is believed (the gateway); comma-separated networks.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1/32", "::1/128"]
    )
    log_level: str = "INFO"
    # Swagger UI at /api/resource/docs (the OpenAPI document is served either way).
    docs: bool = True
    access_log: bool = True

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]

    @field_validator("issuer")
    @classmethod
    def _issuer_has_no_trailing_slash(cls, value: str) -> str:
        # As the auth service writes it into `iss`.
        return value.rstrip("/")

    @field_validator("jwks_url")
    @classmethod
    def _empty_means_discovery(cls, value: str | None) -> str | None:
        return value or None


@lru_cache
def get_settings() -> Settings:
    return Settings()
