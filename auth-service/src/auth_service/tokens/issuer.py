"""Every token the service hands out, minted in one place: the key ring, the issuer and
audience, the lifetimes. Built once in the lifespan; the slices get it injected."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from auth_service.scopes import scope_of
from auth_service.tokens import access, idtoken, refresh
from auth_service.tokens.access import KeyRingHolder


class UserFacts(Protocol):
    """What a person's access token says of them and of their session."""

    @property
    def id(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def roles(self) -> list[str]: ...
    @property
    def email_verified(self) -> bool: ...
    @property
    def auth_time(self) -> int: ...
    @property
    def amr(self) -> tuple[str, ...]: ...


class TokenIssuer:
    def __init__(
        self,
        keys: KeyRingHolder,
        *,
        issuer: str,
        audience: str,
        web_client_id: str,
        access_ttl: int,
        refresh_ttl: int,
        session_max_lifetime: int,
    ) -> None:
        self._keys = keys
        self.issuer, self.audience, self.web_client_id = issuer, audience, web_client_id
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.session_max_lifetime = session_max_lifetime

    def access_token(
        self,
        now: datetime,
        *,
        sub: str,
        scope: str,
        client_id: str,
        sid: str | None = None,
        email: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        return access.issue(
            self._keys.ring,
            issuer=self.issuer,
            audience=self.audience,
            ttl=self.access_ttl,
            now=now,
            sub=sub,
            scope=scope,
            client_id=client_id,
            sid=sid,
            email=email,
            extra=extra,
        )

    def user_access_token(self, now: datetime, user: UserFacts, *, sid: str) -> str:
        """A person's token, issued to the web app: the scopes follow from the roles."""
        return self.access_token(
            now,
            sub=user.id,
            scope=scope_of(user.roles),
            client_id=self.web_client_id,
            sid=sid,
            email=user.email,
            extra={
                "email_verified": user.email_verified,
                "auth_time": user.auth_time,
                "amr": list(user.amr),
            },
        )

    def id_token(self, now: datetime, facts: idtoken.IdClaims, access_token: str) -> str:
        ring = self._keys.ring
        return idtoken.mint(
            ring,
            issuer=self.issuer,
            ttl=self.access_ttl,
            now=now,
            facts=facts,
            access_token=access_token,
        )

    def app_access_token(
        self, now: datetime, user: UserFacts, *, sid: str, client_id: str, scope: str
    ) -> str:
        """A person's token issued to an application: its client id and the granted scope."""
        extra: dict[str, Any] = {"auth_time": user.auth_time, "amr": list(user.amr)}
        email = None
        if "email" in scope.split():
            email, extra["email_verified"] = user.email, user.email_verified
        return self.access_token(
            now, sub=user.id, scope=scope, client_id=client_id, sid=sid, email=email, extra=extra
        )

    def refresh_expiry(self, iat: int, created_at: datetime) -> int:
        """A refresh token's `exp`: idle lifetime from `iat`, never past the absolute one."""
        absolute = int(created_at.timestamp()) + self.session_max_lifetime
        return min(iat + self.refresh_ttl, absolute)

    def refresh_token(
        self, at: datetime, *, sub: str, sid: str, jti: str, iat: int, exp: int
    ) -> str:
        # Signed by the key active at `at` (the rotation time): a grace replay re-mints the same.
        return refresh.mint(
            self._keys.ring,
            issuer=self.issuer,
            ttl=0,
            now=at,
            sub=sub,
            sid=sid,
            jti=jti,
            iat=iat,
            exp=exp,
        )

    def read_refresh(self, token: str) -> refresh.RefreshClaims:
        """Raises refresh.RefreshTokenInvalid (or RefreshTokenExpired)."""
        return refresh.verify(self._keys.ring, token, issuer=self.issuer)

    def successor_jti(self, spent: refresh.RefreshClaims) -> str:
        return refresh.successor_jti(self._keys.ring, spent)
