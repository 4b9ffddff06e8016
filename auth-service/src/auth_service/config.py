"""Settings, read once from the environment (prefix `AUTH_`)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Accepted only while the issuer is a loopback URL: a real deployment must bring its own.
DEV_KEY_ENCRYPTION_KEY = "gatehouse-development-key-encryption-key-not-for-production"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/auth"
    database_pool_size: int = Field(default=10, ge=1)
    redis_url: str = "redis://127.0.0.1:6379/0"

    issuer: str = "http://localhost:8080/api/auth"
    audience: str = "resource-service"
    web_client_id: str = "gatehouse-web"
    access_token_ttl: int = Field(default=900, ge=1, le=86_400)
    refresh_token_ttl: int = Field(default=1_209_600, ge=60)
    refresh_reuse_grace: float = Field(default=10.0, ge=0, le=300)
    # Absolute lifetime of a session: rotations slide its idle expiry, never past this.
    session_max_lifetime: int = Field(default=2_592_000, ge=1)

    cookie_secure: bool = True
    # Empty means "the issuer's own origin" (see `origins`).
    allowed_origins: CommaList = Field(default_factory=list)
    # Peers whose X-Forwarded-For is believed: the gateway, by default on loopback.
    trusted_proxies: CommaList = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    key_encryption_key: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_KEY)
    signing_key_bits: int = Field(default=2048, ge=2048)
    # A rotated-in key is published this long before it signs: more than the JWKS max-age
    # (300 s) plus the replicas' key reload interval (30 s).
    key_publish_ahead: int = Field(default=400, ge=0)
    # How often each replica reloads the key ring from PostgreSQL (keys rotated elsewhere).
    key_reload_interval: float = Field(default=30.0, gt=0, le=3600)

    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    login_max_failures_per_account: int = Field(default=10, ge=1)
    login_max_failures_per_ip: int = Field(default=100, ge=1)
    login_failure_window: int = Field(default=900, ge=1)

    argon2_memory_cost: int = Field(default=19_456, ge=19_456)  # KiB: OWASP's floor, 19 MiB
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)
    # Password hashes running at once; unset: one per core but one (left to the event loop).
    password_hash_concurrency: int | None = Field(default=None, ge=1)

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    log_level: str = "INFO"
    access_log: bool = True  # one JSON line per request

    _split = field_validator("allowed_origins", "trusted_proxies", mode="before")(_split_commas)

    @field_validator("issuer")
    @classmethod
    def _issuer_has_no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @model_validator(mode="after")
    def _refuse_dev_secret_outside_local_use(self) -> Settings:
        host = urlsplit(self.issuer).hostname or ""
        dev_key = self.key_encryption_key.get_secret_value() == DEV_KEY_ENCRYPTION_KEY
        if dev_key and host not in LOOPBACK_HOSTS:
            raise ValueError(
                "AUTH_KEY_ENCRYPTION_KEY must be set: the development default is accepted "
                "only when AUTH_ISSUER is a localhost URL"
            )
        return self

    @property
    def origins(self) -> frozenset[str]:
        if self.allowed_origins:
            return frozenset(origin.rstrip("/") for origin in self.allowed_origins)
        parts = urlsplit(self.issuer)
        return frozenset({f"{parts.scheme}://{parts.netloc}"})

    @property
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]


@lru_cache
def get_settings() -> Settings:
    return Settings()
