"""Pushed authorization requests (RFC 9126): the client authenticates and posts its
request; the browser then carries only the `request_uri` (single use, 60 s)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from auth_service.deps import DbDep, SettingsDep
from auth_service.errors import RateLimited
from auth_service.http.clientip import client_ip
from auth_service.http.tokens import NO_STORE
from auth_service.oauth.deps import OAuthDep
from auth_service.oauth.router import authenticated_app, error_response, read_form
from auth_service.oauth.service import OAuthError
from auth_service.oidc import requests as stored
from auth_service.oidc.authorize import SentBack, ShownHere
from auth_service.oidc.deps import AuthorizationsDep

router = APIRouter(prefix="/oauth", tags=["openid provider"])


@router.post(
    "/par",
    status_code=201,
    responses={
        400: {"description": "RFC 6749 §5.2 error: invalid_request, invalid_scope, ..."},
        401: {"description": "RFC 6749 §5.2 error: invalid_client"},
    },
)
async def push(
    request: Request,
    db: DbDep,
    oauth: OAuthDep,
    authorizations: AuthorizationsDep,
    settings: SettingsDep,
) -> JSONResponse:
    try:
        form = await read_form(request)
        ip = client_ip(request, settings.trusted_networks)
        client = await authenticated_app(request, form, db, oauth, ip)
        if "request_uri" in form:
            raise OAuthError("invalid_request", "request_uri cannot be pushed (RFC 9126 §2.1)")
        params = {name: [value] for name, value in form.items()}
        request_uri = await authorizations.push(db, client, params)
    except OAuthError as error:
        return error_response(error)
    except ShownHere as error:
        return error_response(OAuthError("invalid_request", error.description))
    except SentBack as error:
        return error_response(OAuthError(error.error, error.description))
    except RateLimited as limited:
        refused = {"error": "invalid_request", "error_description": limited.detail}
        return JSONResponse(refused, status_code=429, headers={**NO_STORE, **limited.headers})
    body = {"request_uri": request_uri, "expires_in": int(stored.PAR_TTL.total_seconds())}
    return JSONResponse(body, status_code=201, headers=NO_STORE)
