"""Settings, read once from the environment (prefix `AUTH_`)."""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from service_kit.settings import CommaList, ServiceSettings, split_commas

# Accepted only with AUTH_DEV_MODE=true (make run, the tests): a deployment brings its own.
DEV_KEY_ENCRYPTION_KEY = "gatehouse-development-key-encryption-key-not-for-production"
KEK_MIN_BYTES = 32
MIN_CLIENT_SECRET_LENGTH = 32
# 32 random bytes show ~30 distinct values; fewer than this means a pattern, not randomness.
_KEK_MIN_DISTINCT_BYTES = 16
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


def _decoded_key(value: str) -> bytes | None:
    """The bytes a hex or base64 (standard or URL-safe, padding optional) value encodes."""
    if _HEX.match(value):
        return bytes.fromhex(value)
    if _BASE64.match(value):
        unpadded = value.rstrip("=")
        try:
            return base64.urlsafe_b64decode(
                unpadded.replace("+", "-").replace("/", "_") + "=" * (-len(unpadded) % 4)
            )
        except (binascii.Error, ValueError):
            return None
    return None


def key_encryption_key_problem(value: str) -> str | None:
    """Why this key-encryption key is refused, or None: it must encode >= 32 random bytes."""
    raw = _decoded_key(value.strip())
    if raw is None:
        return "must be hex or base64 (make one with: openssl rand -hex 32)"
    if len(raw) < KEK_MIN_BYTES:
        return (
            f"encodes {len(raw)} bytes; it needs at least {KEK_MIN_BYTES} random bytes "
            "(make one with: openssl rand -hex 32)"
        )
    if len(set(raw)) < _KEK_MIN_DISTINCT_BYTES:
        return "is not random (too few distinct bytes); make one with: openssl rand -hex 32"
    return None


class Settings(ServiceSettings):
    """The auth service's own settings; the shared ones (pool, body limit, proxies, logs,
    docs) come from `ServiceSettings`."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/auth"
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

    # Local development and tests only: accepts the built-in key-encryption key.
    dev_mode: bool = False
    key_encryption_key: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_KEY)
    # The key-encryption key before a change: keys it opens are re-sealed at start-up.
    previous_key_encryption_key: SecretStr | None = None
    signing_key_bits: int = Field(default=2048, ge=2048)
    # A rotated-in key is published this long before it signs: more than the JWKS max-age
    # (300 s) plus the replicas' key reload interval (30 s).
    key_publish_ahead: int = Field(default=400, ge=0)
    # How often each replica reloads the key ring from PostgreSQL (keys rotated elsewhere).
    key_reload_interval: float = Field(default=30.0, gt=0, le=3600)
    # The revocation feed's long-polls re-check PostgreSQL this often even without a NOTIFY
    # (every 0.5 s while the LISTEN connection is down); expired entries are pruned this often,
    # and so are expired log-in challenges (mfa_tokens).
    revocation_recheck_interval: float = Field(default=5.0, gt=0, le=25)
    revocation_prune_interval: float = Field(default=60.0, gt=0, le=86_400)

    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    # Promote an EXISTING non-admin account to the bootstrap administrator (else start-up fails).
    bootstrap_admin_force: bool = False
    # A service client ensured at every start, like the administrator: it exists with this id,
    # secret and these scopes (created, or its secret and scopes set). For stacks that give
    # both sides the credentials up front: compose and Kubernetes provision the resource
    # service's revocation-feed client this way. The secret: 32+ characters, e.g.
    # `openssl rand -hex 32` (stored as a SHA-256 hash, like the secrets the service makes).
    bootstrap_client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._~-]{1,64}$")
    bootstrap_client_secret: SecretStr | None = None
    bootstrap_client_scopes: CommaList = Field(default_factory=lambda: ["revocations:read"])

    login_max_failures_per_account: int = Field(default=10, ge=1)
    login_max_failures_per_ip: int = Field(default=100, ge=1)
    login_failure_window: int = Field(default=900, ge=1)
    # Failures on one account, from any address, after which each attempt waits 1 s, 2 s,
    # 4 s… up to the maximum: slows guessing down without letting anyone lock a user out.
    login_delay_after_failures: int = Field(default=10, ge=1)
    login_max_delay: float = Field(default=10.0, ge=0, le=60)

    argon2_memory_cost: int = Field(default=19_456, ge=19_456)  # KiB: OWASP's floor, 19 MiB
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)
    # Password hashes running at once; unset: one per core.
    password_hash_concurrency: int | None = Field(default=None, ge=1)
    # Added to the hashing threads' nice value. 10 (the default): the event loop's thread
    # runs first, so health probes and every other request stay fast under a flood of
    # log-ins. The price, on a host shared with busy processes of normal priority: far
    # fewer log-ins/s; set 0 there (docs/settings.md; the figures are in BENCHMARKS.md).
    password_hash_niceness: int = Field(default=10, ge=0, le=19)

    # Outgoing mail: smtp://[user:password@]host:port (STARTTLS when offered;
    # ?starttls=required insists) or smtps://… (implicit TLS). `make run` points it at the
    # stack's own mail catcher. A secret: it may hold the SMTP password.
    smtp_url: SecretStr = SecretStr("smtp://127.0.0.1:1025")
    smtp_timeout: float = Field(default=10.0, gt=0, le=120)
    mail_from: str = "Gatehouse <no-reply@localhost>"
    # The relay takes addresses with non-ASCII before the @ (SMTPUTF8, RFC 6531). Off:
    # sign-up and email change refuse them (422), as their mail could never leave.
    smtp_utf8: bool = False
    # How often each replica's sender looks for mail that another replica queued.
    mail_poll_interval: float = Field(default=2.0, gt=0, le=300)
    # Where mailed links point: the web app's origin. Empty means the issuer's origin.
    public_url: str = ""
    # Sign-up then answers 202 without tokens, and log-in waits for the verified email.
    require_verified_email: bool = False
    # Sign-in by mail (POST /login/email): off, its endpoints answer 404.
    email_login: bool = True
    # An address without an account gets one on the first successful use of its mailed
    # sign-in code (off: nothing is mailed to it; the request answers alike either way).
    email_signup: bool = False
    # "Recent log-in" (RFC 9470 step-up): how old `auth_time` may be for sensitive changes.
    reauth_max_age: int = Field(default=300, ge=1)
    # Forgot-password and verification resends: each request counts per client address in
    # the window (then 429), whether or not the email has an account; one email gets at
    # most one such mail per cooldown (a request inside it answers alike, queues nothing),
    # so strangers' requests never lock its owner out for longer than that.
    mail_requests_per_ip: int = Field(default=50, ge=1)
    mail_request_window: int = Field(default=3600, ge=1)
    mail_cooldown: int = Field(default=60, ge=1)
    # Forgot-password (or resend) mails queued to one email per window; past it a request
    # answers alike and queues nothing (the last mail's link is the live one).
    mail_requests_per_email: int = Field(default=5, ge=1)
    # Email changes (each mails a link to the new address): per account and per new
    # address in `mail_request_window`, then 429.
    email_changes_per_account: int = Field(default=5, ge=1)
    email_changes_per_address: int = Field(default=3, ge=1)
    # POST /webauthn/login/options per client address per minute (each stores a challenge
    # in Redis, with no account named): generous for people behind one NAT, then 429.
    webauthn_options_per_minute: int = Field(default=60, ge=1)

    # POST /oauth/register (RFC 7591): off (404, not in discovery); token: with an initial
    # access token an administrator made; open: anyone, public clients at https or loopback
    # redirect URIs only, limited per client address (docs/openid-connect.md).
    client_registration: Literal["off", "token", "open"] = "off"
    # Open registration: attempts per client address per hour, then 429.
    client_registrations_per_ip: int = Field(default=20, ge=1)

    _split = field_validator("allowed_origins", "bootstrap_client_scopes", mode="before")(
        split_commas
    )

    @field_validator("issuer", "public_url")
    @classmethod
    def _issuer_has_no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_weak_or_development_key_encryption_key(self) -> Settings:
        value = self.key_encryption_key.get_secret_value()
        if value == DEV_KEY_ENCRYPTION_KEY:
            if not self.dev_mode:
                raise ValueError(
                    "AUTH_KEY_ENCRYPTION_KEY must be set (e.g. openssl rand -hex 32): the "
                    "built-in development key is accepted only with AUTH_DEV_MODE=true"
                )
            return self
        problem = key_encryption_key_problem(value)
        if problem:
            raise ValueError(f"AUTH_KEY_ENCRYPTION_KEY {problem}")
        return self

    @field_validator("bootstrap_client_id", "bootstrap_client_secret", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return value or None

    @model_validator(mode="after")
    def _bootstrap_client_has_a_strong_secret(self) -> Settings:
        if self.bootstrap_client_id:
            secret = self.bootstrap_client_secret
            if secret is None or len(secret.get_secret_value()) < MIN_CLIENT_SECRET_LENGTH:
                raise ValueError(
                    "AUTH_BOOTSTRAP_CLIENT_SECRET must be set, at least "
                    f"{MIN_CLIENT_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)"
                )
        return self

    @property
    def public_base(self) -> str:
        """The web app's base URL, for the links in mails."""
        if self.public_url:
            return self.public_url
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def origins(self) -> frozenset[str]:
        if self.allowed_origins:
            return frozenset(origin.rstrip("/") for origin in self.allowed_origins)
        parts = urlsplit(self.issuer)
        return frozenset({f"{parts.scheme}://{parts.netloc}"})


@lru_cache
def get_settings() -> Settings:
    return Settings()
