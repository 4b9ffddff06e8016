"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): with a valid
`id_token_hint` the Gatehouse session it names ends and the browser goes to the
registered `post_logout_redirect_uri` (exact) with `state`; without one the web app's
`/end-session` page asks the person first, and when the request names its `client_id`
and one of that client's registered addresses, the page is given a request id to learn
it from once the person has logged out."""

from __future__ import annotations

import uuid
from typing import Any

import redis.asyncio as aioredis
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jose import JWTError, jwt
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients.apps import app_client
from auth_service.deps import DbDep, KeysDep, RedisDep, SettingsDep
from auth_service.errors import AppError, problem_responses
from auth_service.http.tokens import NO_STORE
from auth_service.keys.keyring import ACCESS_ALGORITHM, KeyRing
from auth_service.oidc import logout_requests, pages
from auth_service.oidc.authorize import ShownHere
from auth_service.oidc.decision import redirect_url
from auth_service.oidc.deps import LedgerDep
from auth_service.oidc.router import params_of
from auth_service.revocations import service as feed
from auth_service.sessions import repository as sessions
from auth_service.timeutil import utcnow

router = APIRouter(prefix="/oauth", tags=["openid provider"])
_UNREGISTERED = "The address to send you to after logging out is not registered."


class LogoutRequestUnknown(AppError):
    status_code, code, title = 404, "logout_request_unknown", "No such log-out request"


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
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    keys: KeysDep,
    ledger: LedgerDep,
    redis: RedisDep,
) -> Response:
    try:
        params = {name: values[0] for name, values in (await params_of(request)).items()}
    except ShownHere as error:
        return pages.error_page(error.description)
    claims = read_hint(keys.ring, params.get("id_token_hint"), settings.issuer)
    base = settings.public_base.rstrip("/")
    uri = params.get("post_logout_redirect_uri")
    if claims is None:
        return await _ask_first(db, redis, params, base)
    if uri is not None and not await _registered(db, str(claims.get("aud", "")), uri):
        return pages.error_page(_UNREGISTERED)
    try:
        sid, sub = uuid.UUID(str(claims.get("sid"))), uuid.UUID(str(claims.get("sub")))
    except ValueError:
        return pages.error_page("The id_token names no session.")
    if await sessions.revoke(db, sid, "logout", utcnow(), user_id=sub):
        await ledger.revoke_sessions([str(sid)], "logout")
        await feed.sessions_ended(db, [str(sid)])  # last: it holds the feed's lock to commit
    target = redirect_url(uri, {"state": params.get("state")}) if uri else f"{base}/login"
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


async def _registered(db: AsyncSession, client_id: str, uri: str) -> bool:
    """`uri` is one of the client's registered post-logout addresses, exactly."""
    client = await app_client(db, client_id)
    return client is not None and uri in client.post_logout_redirect_uris


async def _ask_first(
    db: AsyncSession, redis: aioredis.Redis, params: dict[str, str], base: str
) -> Response:
    """/end-session asks the person. Without a hint only `client_id` says which
    application asks, so the way back is kept only for an address registered for it
    (exact); without a client_id the address is ignored and the page just logs out."""
    client_id, uri = params.get("client_id"), params.get("post_logout_redirect_uri")
    if not client_id or uri is None:
        return RedirectResponse(f"{base}/end-session", status_code=303, headers=NO_STORE)
    if not await _registered(db, client_id, uri):
        return pages.error_page(_UNREGISTERED)
    url = redirect_url(uri, {"state": params.get("state")})
    request_id = await logout_requests.keep(redis, url)
    target = f"{base}/end-session?request={request_id}"
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


class LogoutTarget(BaseModel):
    url: str


@router.post("/logout/{request_id}", responses=problem_responses(404))
async def logout_target(request_id: str, redis: RedisDep) -> LogoutTarget:
    """Where the application asked the browser to go after the log-out, given out once:
    /end-session calls it after the person's "Log out" ended the session."""
    url = await logout_requests.take(redis, request_id)
    if url is None:
        raise LogoutRequestUnknown("The log-out request is unknown or has expired")
    return LogoutTarget(url=url)
