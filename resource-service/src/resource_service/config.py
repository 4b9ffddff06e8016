"""Settings, read once from the environment (prefix `RESOURCE_`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
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

    # The revocation feed (on when the client id and secret are set): a service client of
    # the auth service with scope `revocations:read`. The feed is `<revocation_url>/revocations`
    # (default: the issuer; set it when the auth service is closer than the public URL).
    revocation_client_id: str | None = None
    revocation_client_secret: SecretStr | None = None
    revocation_url: str | None = None
    revocation_poll_wait: float = Field(default=20.0, gt=0, le=25)
    # Seconds the feed may be out of reach before every token is refused with 503
    # `revocations_stale`; unset: keep verifying with what is known (and say "stale").
    revocation_fail_closed_after: float | None = Field(default=None, gt=0)

    @field_validator("issuer")
    @classmethod
    def _issuer_has_no_trailing_slash(cls, value: str) -> str:
        # As the auth service writes it into `iss`.
        return value.rstrip("/")

    @field_validator("jwks_url", "revocation_url", "revocation_client_id")
    @classmethod
    def _empty_means_discovery(cls, value: str | None) -> str | None:
        return value or None


@lru_cache
def get_settings() -> Settings:
    return Settings()
