"""RFC 7009 revocation and RFC 7662 introspection of access tokens, for service clients."""

from __future__ import annotations

from typing import Any

from auth_client import InvalidTokenError, Principal, TokenVerifier
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.deps import SessionEnds
from auth_service.revocations import service as feed
from auth_service.revocations.service import RevocationLog

INTROSPECT_SCOPE = "introspect"


async def _verified(verifier: TokenVerifier, token: str) -> Principal | None:
    try:
        return await verifier.verify(token)
    except InvalidTokenError:
        return None


async def revoke(db: AsyncSession, verifier: TokenVerifier, token: str, client_id: str) -> None:
    """Revokes an access token the client holds (its `client_id`), in the request's
    transaction. Anything else (unknown, expired, another client's, a refresh token) is
    left alone without a word (RFC 7009 §2.2): the answer is no oracle for tokens."""
    principal = await _verified(verifier, token)
    if principal is None or principal.client_id != client_id:
        return
    jti = principal.claims.get("jti")
    if isinstance(jti, str) and jti:
        await feed.token_revoked(db, jti)


async def introspect(
    verifier: TokenVerifier, revocations: RevocationLog, sessions: SessionEnds, token: str
) -> dict[str, Any]:
    """RFC 7662 §2.2: the claims and `active: true` for a live token, else `active: false`
    (expired, not ours, revoked by the feed's rules, its session ended)."""
    principal = await _verified(verifier, token)
    if principal is None:
        return {"active": False}
    claims = dict(principal.claims)
    iat = claims.get("iat")
    jti = claims.get("jti")
    revoked = await revocations.denies(
        sid=principal.sid,
        jti=jti if isinstance(jti, str) else None,
        client_id=principal.client_id,
        sub=principal.sub,
        iat=int(iat) if isinstance(iat, int | float) else 0,
    )
    if revoked or (principal.sid is not None and await sessions.has_ended(principal.sid)):
        return {"active": False}
    if principal.email is not None:
        claims["username"] = principal.email
    return {**claims, "active": True, "token_type": "Bearer"}
