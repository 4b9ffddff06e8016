"""Service clients: registration, listing, deletion, authentication.

Secrets are 256 random bits made here, so a plain SHA-256 is a sound hash for them (as
for API keys): unlike passwords they cannot be guessed from a dictionary, and a fast
hash keeps the token endpoint fast.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.audit import service as audit
from auth_service.audit.service import Event
from auth_service.clients import repository
from auth_service.clients.apps import AppOptions, checked
from auth_service.clients.models import OAuthClient
from auth_service.errors import NotFound, ValidationFailed
from auth_service.revocations import service as feed
from auth_service.scopes import ADMIN_ROLE, USER_SCOPES

SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,64}$")  # RFC 6749 §3.3 scope-token
_DUMMY_HASH = hashlib.sha256(b"no such client").hexdigest()
# A person's scopes: `admin` comes from a user's role (checked at every admin request), the
# OpenID ones describe a user. A client holding them would be an admin with no session.
USER_ONLY_SCOPES = frozenset({ADMIN_ROLE, *USER_SCOPES})


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(scopes: list[str], *, for_users: bool = False) -> list[str]:
    """A service client holds no user's scope; an application signs users in, so it may
    ask for the OpenID ones (never `admin`, which comes from a role)."""
    for scope in scopes:
        if not SCOPE_TOKEN.match(scope):
            raise ValidationFailed("scopes", f"'{scope}' is not a valid scope")
        if scope in USER_ONLY_SCOPES and (scope == ADMIN_ROLE or not for_users):
            raise ValidationFailed(
                "scopes", f"'{scope}' is a user's scope and cannot be given to a service client"
            )
    return sorted(set(scopes))


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    secret: str | None  # shown once, never stored; None for a public client


async def register(
    db: AsyncSession,
    name: str,
    scopes: list[str],
    actor: str,
    options: AppOptions | None = None,
) -> NewClient:
    app = checked(options or AppOptions())
    signs_users_in = "authorization_code" in app.grant_types
    secret = None if app.public else secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=("app_" if signs_users_in else "svc_") + secrets.token_urlsafe(12),
        name=name.strip(),
        secret_hash=None if secret is None else _hash(secret),
        scopes=check_scopes(scopes, for_users=signs_users_in),
        redirect_uris=app.redirect_uris,
        post_logout_redirect_uris=app.post_logout_redirect_uris,
        grant_types=app.grant_types,
        token_endpoint_auth_method=app.token_endpoint_auth_method,
        first_party=app.first_party,
        require_pushed_authorization_requests=app.require_pushed_authorization_requests,
        dynamically_registered=app.dynamically_registered,
    )
    await repository.add(db, client)
    details: dict[str, object] = {"name": client.name, "scopes": client.scopes}
    if app.dynamically_registered:
        details |= {
            "redirect_uris": client.redirect_uris,
            "grant_types": client.grant_types,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
        }
    event = Event.CLIENT_REGISTERED if app.dynamically_registered else Event.CLIENT_CREATED
    await audit.record(db, event, actor=actor, subject=client.client_id, details=details)
    return NewClient(client, secret)


async def ensure(
    db: AsyncSession, client_id: str, secret: str, scopes: list[str], actor: str
) -> bool:
    """The client `client_id` exists with this secret and exactly these scopes: created, or
    its secret and scopes set. True when something changed (then audited)."""
    await repository.lock_bootstrap(db)
    wanted = check_scopes(scopes)
    client = await repository.get(db, client_id)
    if client is None:
        client = OAuthClient(
            client_id=client_id, name=client_id, secret_hash=_hash(secret), scopes=wanted
        )
        await repository.add(db, client)
        event = Event.CLIENT_CREATED
    elif hmac.compare_digest(client.secret_hash or "", _hash(secret)) and client.scopes == wanted:
        return False
    else:
        client.secret_hash, client.scopes = _hash(secret), wanted
        await repository.add(db, client)
        event = Event.CLIENT_UPDATED
    details = {"name": client.name, "scopes": client.scopes}
    await audit.record(db, event, actor=actor, subject=client_id, details=details)
    return True


async def remove(db: AsyncSession, client_id: str, actor: str) -> None:
    client = await repository.get(db, client_id)
    if client is None:
        raise NotFound("No such client")
    await repository.delete(db, client)
    await feed.client_deleted(db, client_id)  # its tokens stop at every resource server
    await audit.record(db, Event.CLIENT_DELETED, actor=actor, subject=client_id)


@dataclass(frozen=True)
class AuthenticatedClient:
    client_id: str
    scopes: list[str]
    grant_types: tuple[str, ...] = ("client_credentials",)


async def authenticate(db: AsyncSession, client_id: str, secret: str) -> AuthenticatedClient | None:
    storable = len(client_id) <= 64 and "\x00" not in client_id
    found = await repository.credentials_of(db, client_id) if storable else None
    # Compared in constant time, and against a dummy when the client is unknown.
    expected = found[0] if found and found[0] else _DUMMY_HASH
    matches = hmac.compare_digest(_hash(secret), expected) and bool(found and found[0])
    if found is None or not matches:
        return None
    return AuthenticatedClient(client_id, found[1], tuple(found[2]))


async def listed(db: AsyncSession) -> list[OAuthClient]:
    return await repository.all_clients(db)


async def holds_scope(db: AsyncSession, client_id: str, scope: str) -> bool:
    client = await repository.get(db, client_id)
    return client is not None and scope in client.scopes
