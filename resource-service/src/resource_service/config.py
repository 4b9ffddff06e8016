"""Settings, read once from the environment (prefix `RESOURCE_`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict
from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """The resource service's own settings; the shared ones (pool, body limit, proxies,
    logs, docs) come from `ServiceSettings`."""

    model_config = SettingsConfigDict(env_prefix="RESOURCE_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/resource"

    # Tokens must name this issuer; its discovery document says where the keys are...
    issuer: str = "http://localhost:8080/api/auth"
    audience: str = "resource-service"
    # ...unless this is set: the issuer is the public gateway URL, the keys may be closer.
    jwks_url: str | None = None
    leeway: float = Field(default=30.0, ge=0, le=300)
    # An unknown `kid` triggers at most one JWKS fetch per this many seconds.
    jwks_refetch_interval: float = Field(default=10.0, gt=0, le=3600)

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
