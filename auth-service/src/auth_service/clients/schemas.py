from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# RFC 6749 §3.3 scope-token; names must be storable (PostgreSQL text holds no NUL).
ScopeToken = Annotated[str, StringConstraints(pattern=r"^[\x21\x23-\x5B\x5D-\x7E]{1,64}$")]
# Checked further by clients.uris (absolute, no fragment); printable ASCII only.
RedirectUri = Annotated[str, StringConstraints(pattern=r"^[\x21-\x7E]{1,2000}$")]
GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]
AuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    scopes: list[ScopeToken] = Field(default_factory=list, max_length=50)
    redirect_uris: list[RedirectUri] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[RedirectUri] = Field(default_factory=list, max_length=20)
    grant_types: list[GrantType] = Field(
        default_factory=lambda: list[GrantType](["client_credentials"]), min_length=1, max_length=3
    )
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"  # noqa: S105 (a method name)
    first_party: bool = False
    require_pushed_authorization_requests: bool = False


class ClientOut(BaseModel):
    client_id: str
    name: str
    scopes: list[str]
    redirect_uris: list[str] = []
    post_logout_redirect_uris: list[str] = []
    grant_types: list[str] = ["client_credentials"]
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 (a method name)
    first_party: bool = False
    require_pushed_authorization_requests: bool = False
    dynamically_registered: bool = Field(
        default=False, description="Registered by the application itself (RFC 7591)"
    )
    created_at: datetime


class ClientCreated(ClientOut):
    client_secret: str | None = Field(
        default=None,
        description="Shown once: only a hash of it is stored; none for a public client",
    )
