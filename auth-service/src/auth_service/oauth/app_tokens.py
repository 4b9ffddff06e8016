"""The token endpoint for applications: the authorization-code grant (with PKCE) and the
tokens it answers (access token, id_token, refresh token bound to the grant)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients.apps import AppClient
from auth_service.errors import AppError
from auth_service.oauth import codes
from auth_service.oauth.service import OAuthError
from auth_service.revocations import service as feed
from auth_service.sessions import repository as sessions
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.models import LoginSession
from auth_service.sessions.pairs import SessionUser
from auth_service.sessions.service import SessionsService
from auth_service.timeutil import Clock, SystemClock
from auth_service.tokens import refresh
from auth_service.tokens.idtoken import IdClaims
from auth_service.tokens.issuer import TokenIssuer
from auth_service.users import repository as users

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a token this service has just signed (no need to verify it again)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def _invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


class AppTokens:
    def __init__(
        self,
        tokens: TokenIssuer,
        ledger: RotationLedger,
        sessions_service: SessionsService,
        clock: Clock | None = None,
    ) -> None:
        self._tokens, self._ledger, self._sessions = tokens, ledger, sessions_service
        self._clock = clock or SystemClock()

    async def exchange_code(
        self, db: AsyncSession, client: AppClient, form: dict[str, str]
    ) -> dict[str, Any]:
        if "authorization_code" not in client.grant_types:
            raise OAuthError("unauthorized_client", "This client may not use authorization_code")
        code, verifier = form.get("code", ""), form.get("code_verifier", "")
        if not code:
            raise OAuthError("invalid_request", "code is required")
        if not _VERIFIER.match(verifier):
            raise OAuthError("invalid_request", "code_verifier is required (RFC 7636)")
        redeemed = await codes.redeem(db, code)
        if redeemed is None:
            raise _invalid_grant("Unknown authorization code")
        if not redeemed.first_use:
            await self._end_family(db, redeemed.family_sid)
            raise _invalid_grant("The code was used before; what it gave was revoked")
        grant, now = redeemed.grant, self._clock.now()
        if not hmac.compare_digest(grant.client_id, client.client_id):
            raise _invalid_grant("The code was issued to another client")
        if redeemed.expires_at <= now:
            raise _invalid_grant("The code has expired")
        if form.get("redirect_uri", grant.redirect_uri) != grant.redirect_uri:
            raise _invalid_grant("redirect_uri differs from the authorization request's")
        if not hmac.compare_digest(s256(verifier), grant.code_challenge):
            raise _invalid_grant("code_verifier does not match the code_challenge")
        user = await users.get(db, grant.user_id)
        if user is None:
            raise _invalid_grant("The user is gone")
        facts = SessionUser(
            str(user.id),
            user.email,
            list(user.roles),
            user.email_verified,
            int(grant.auth_time.timestamp()),
            tuple(grant.amr),
        )
        body = await self._issue(db, client, redeemed.family_sid, facts, grant.scope, now)
        if "openid" in grant.scope.split():
            with_email = "email" in grant.scope.split()
            claims = IdClaims(
                sub=facts.id,
                client_id=client.client_id,
                auth_time=facts.auth_time,
                amr=list(facts.amr),
                sid=str(grant.browser_sid),
                nonce=grant.nonce,
                email=facts.email if with_email else None,
                email_verified=facts.email_verified if with_email else None,
            )
            body["id_token"] = self._tokens.id_token(now, claims, body["access_token"])
        await db.commit()  # releases the code's row: racing redeemers now see it spent
        return body

    async def refresh(
        self, db: AsyncSession, client: AppClient, form: dict[str, str]
    ) -> dict[str, Any]:
        """Rotation with the browser's rules (one successor, grace replay, reuse ends the
        family), bound to the client's own family."""
        if "refresh_token" not in client.grant_types:
            raise OAuthError("unauthorized_client", "This client may not use refresh_token")
        token = form.get("refresh_token")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required")
        try:
            pair = await self._sessions.rotate(db, token, client.client_id)
        except AppError as error:
            raise _invalid_grant(error.detail or "The refresh token is not valid") from error
        scope = str(jwt_claims(pair.access_token).get("scope", ""))
        return {
            "access_token": pair.access_token,
            "token_type": "Bearer",
            "expires_in": pair.expires_in,
            "scope": scope,
            "refresh_token": pair.refresh_token,
        }

    async def _issue(
        self,
        db: AsyncSession,
        client: AppClient,
        family: uuid.UUID,
        user: SessionUser,
        scope: str,
        now: datetime,
    ) -> dict[str, Any]:
        iat, jti = int(now.timestamp()), secrets.token_urlsafe(16)
        exp = self._tokens.refresh_expiry(iat, now)
        # A client that registered itself stays connected only if the person said so.
        with_refresh = "refresh_token" in client.grant_types and (
            not client.registered or "offline_access" in scope.split()
        )
        await sessions.add_family(
            db,
            LoginSession(
                id=family,
                user_id=uuid.UUID(user.id),
                client_id=client.client_id,
                scope=scope,
                created_at=now,
                expires_at=datetime.fromtimestamp(exp, UTC),
                auth_time=datetime.fromtimestamp(user.auth_time, UTC),
                amr=list(user.amr),
                current_jti_hash=refresh.jti_hash(jti) if with_refresh else None,
            ),
        )
        sid = str(family)
        access_token = self._tokens.app_access_token(
            now, user, sid=sid, client_id=client.client_id, scope=scope
        )
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self._tokens.access_ttl,
            "scope": scope,
        }
        if with_refresh:
            body["refresh_token"] = self._tokens.refresh_token(
                now, sub=user.id, sid=sid, jti=jti, iat=iat, exp=exp
            )
        return body

    async def _end_family(self, db: AsyncSession, family: uuid.UUID) -> None:
        """A code used twice: the tokens its first use gave stop, here and everywhere."""
        if await sessions.revoke(db, family, "code_reuse", self._clock.now()):
            await feed.sessions_ended(db, [str(family)])
        await db.commit()
        await self._ledger.revoke_sessions([str(family)], "code_reuse")
