"""POST /oauth/revoke (RFC 7009) and /oauth/introspect (RFC 7662): the form, client
authentication as at /oauth/token, RFC 6749 §5.2 error bodies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from auth_service.deps import DbDep, SessionEndsDep, SettingsDep, VerifierDep
from auth_service.errors import RateLimited
from auth_service.http.clientip import client_ip
from auth_service.http.tokens import NO_STORE
from auth_service.oauth import token_status
from auth_service.oauth.deps import OAuthDep
from auth_service.oauth.router import _client_credentials, error_response, read_form
from auth_service.oauth.service import OAuthError
from auth_service.revocations.deps import FeedDep

router = APIRouter(prefix="/oauth", tags=["oauth"])

_PARAMETERS = frozenset({"token", "token_type_hint", "client_id", "client_secret"})


def _schema(description: str) -> dict[str, Any]:
    properties = {name: {"type": "string"} for name in sorted(_PARAMETERS)}
    form = {"type": "object", "required": ["token"], "properties": properties}
    content = {"application/x-www-form-urlencoded": {"schema": form}}
    return {"requestBody": {"required": True, "content": content}, "description": description}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "RFC 6749 §5.2 error: invalid_request"},
    401: {"description": "RFC 6749 §5.2 error: invalid_client"},
    403: {"description": "insufficient_scope: the client lacks the scope `introspect`"},
    429: {"description": "Too many failed client authentications"},
}


async def _authenticated(request: Request, db: DbDep, oauth: OAuthDep, ip: str) -> tuple[Any, str]:
    form = await read_form(request, _PARAMETERS)
    client_id, secret = _client_credentials(request, form)
    client = await oauth.authenticate(db, client_id, secret, ip)
    if not form.get("token"):
        raise OAuthError("invalid_request", "token is required")
    return client, form["token"]


def _refused(limited: RateLimited) -> JSONResponse:
    body = {"error": "invalid_request", "error_description": limited.detail}
    return JSONResponse(body, status_code=429, headers={**NO_STORE, **limited.headers})


@router.post("/revoke", openapi_extra=_schema("RFC 7009"), responses=_RESPONSES)
async def revoke(
    request: Request, db: DbDep, oauth: OAuthDep, verifier: VerifierDep, settings: SettingsDep
) -> JSONResponse:
    """Revokes an access token the calling client holds; every resource server that
    follows the revocation feed refuses it within seconds. 200 whatever the token was."""
    try:
        client, token = await _authenticated(
            request, db, oauth, client_ip(request, settings.trusted_networks)
        )
    except OAuthError as error:
        return error_response(error)
    except RateLimited as limited:
        return _refused(limited)
    await token_status.revoke(db, verifier, token, client.client_id)
    return JSONResponse({}, headers=NO_STORE)


@router.post("/introspect", openapi_extra=_schema("RFC 7662"), responses=_RESPONSES)
async def introspect(
    request: Request,
    db: DbDep,
    oauth: OAuthDep,
    verifier: VerifierDep,
    revocations: FeedDep,
    sessions: SessionEndsDep,
    settings: SettingsDep,
) -> JSONResponse:
    """For clients with the scope `introspect`: whether a token is live, and its claims."""
    try:
        client, token = await _authenticated(
            request, db, oauth, client_ip(request, settings.trusted_networks)
        )
        if token_status.INTROSPECT_SCOPE not in client.scopes:
            raise OAuthError("insufficient_scope", "This needs the scope introspect", 403)
    except OAuthError as error:
        return error_response(error)
    except RateLimited as limited:
        return _refused(limited)
    answer = await token_status.introspect(verifier, revocations, sessions, token)
    return JSONResponse(answer, headers=NO_STORE)
