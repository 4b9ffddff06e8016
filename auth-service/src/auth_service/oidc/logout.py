"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): with a valid
`id_token_hint` the Gatehouse session it names ends and the browser goes to the
registered `post_logout_redirect_uri` (exact) with `state`; without one the web app's
`/end-session` page asks the person first."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jose import JWTError, jwt

from auth_service.clients.apps import app_client
from auth_service.deps import DbDep, KeysDep, SettingsDep
from auth_service.http.tokens import NO_STORE
from auth_service.keys.keyring import ACCESS_ALGORITHM, KeyRing
from auth_service.oidc import pages
from auth_service.oidc.authorize import ShownHere
from auth_service.oidc.decision import redirect_url
from auth_service.oidc.deps import LedgerDep
from auth_service.oidc.router import params_of
from auth_service.revocations import service as feed
from auth_service.sessions import repository as sessions
from auth_service.timeutil import utcnow

router = APIRouter(prefix="/oauth", tags=["openid provider"])


def read_hint(ring: KeyRing, hint: str | None, issuer: str) -> dict[str, Any] | None:
    """The claims of an id_token this service signed (an expired one still names its
    session, as the specification allows), else None."""
    if not hint or len(hint) > 8000:
        return None
    try:
        kid = jwt.get_unverified_header(hint).get("kid")
        key = ring.access.get(str(kid))
        if key is None:
            return None
        claims: dict[str, Any] = jwt.decode(
            hint,
            key.public_jwk,
            algorithms=[ACCESS_ALGORITHM],
            issuer=issuer,
            options={"verify_exp": False, "verify_aud": False, "verify_at_hash": False},
        )
    except JWTError:
        return None
    return claims


_LOGOUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    303: {"description": "To the post_logout_redirect_uri, to /login, or to /end-session"},
    400: {"description": "An error page: a post_logout_redirect_uri that is not registered"},
}


@router.get(
    "/logout", operation_id="end_session_get", response_model=None, responses=_LOGOUT_RESPONSES
)
@router.post(
    "/logout", operation_id="end_session_post", response_model=None, responses=_LOGOUT_RESPONSES
)
async def end_session(
    request: Request, db: DbDep, settings: SettingsDep, keys: KeysDep, ledger: LedgerDep
) -> Response:
    try:
        params = {name: values[0] for name, values in (await params_of(request)).items()}
    except ShownHere as error:
        return pages.error_page(error.description)
    claims = read_hint(keys.ring, params.get("id_token_hint"), settings.issuer)
    base = settings.public_base.rstrip("/")
    if claims is None:
        return RedirectResponse(f"{base}/end-session", status_code=303)
    uri = params.get("post_logout_redirect_uri")
    client = await app_client(db, str(claims.get("aud", "")))
    if uri is not None and (client is None or uri not in client.post_logout_redirect_uris):
        return pages.error_page("The address to send you to after logging out is not registered.")
    try:
        sid, sub = uuid.UUID(str(claims.get("sid"))), uuid.UUID(str(claims.get("sub")))
    except ValueError:
        return pages.error_page("The id_token names no session.")
    if await sessions.revoke(db, sid, "logout", utcnow(), user_id=sub):
        await ledger.revoke_sessions([str(sid)], "logout")
        await feed.sessions_ended(db, [str(sid)])  # last: it holds the feed's lock to commit
    target = redirect_url(uri, {"state": params.get("state")}) if uri else f"{base}/login"
    return RedirectResponse(target, status_code=303, headers=NO_STORE)
