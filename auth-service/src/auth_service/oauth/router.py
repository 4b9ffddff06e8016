"""The OAuth 2.0 token endpoint (RFC 6749) over HTTP: the form, client authentication,
RFC 6749 error bodies. The grant itself is in service.py."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients.apps import AppClient, app_client
from auth_service.deps import DbDep, SettingsDep
from auth_service.errors import RateLimited
from auth_service.http.clientip import client_ip
from auth_service.http.tokens import NO_STORE
from auth_service.oauth.deps import AppTokensDep, OAuthDep
from auth_service.oauth.service import OAuthError, OAuthService

router = APIRouter(prefix="/oauth", tags=["oauth"])

_FORM = "application/x-www-form-urlencoded"
_PARAMETERS = frozenset(
    {
        "grant_type",
        "scope",
        "client_id",
        "client_secret",
        "code",
        "code_verifier",
        "redirect_uri",
        "refresh_token",
    }
)
_APP_GRANTS = frozenset({"authorization_code", "refresh_token"})


def error_response(error: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="gatehouse", charset="UTF-8"'
    body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, status_code=error.status, headers=headers)


async def read_form(request: Request, parameters: frozenset[str] = _PARAMETERS) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        raise OAuthError("invalid_request", f"The body must be {_FORM}")
    try:
        pairs = parse_qsl(
            (await request.body()).decode(), keep_blank_values=True, strict_parsing=True
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError("invalid_request", "The body is not a valid form") from exc
    # RFC 6749 §3.2: no parameter more than once; unknown ones are ignored (§3.1).
    names = [name for name, _ in pairs if name in parameters]
    if len(names) != len(set(names)):
        raise OAuthError("invalid_request", "A parameter was sent more than once")
    return dict(pairs)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client authentication: HTTP Basic (RFC 6749 §2.3.1) or the form fields, not both."""
    client_id, secret, _ = _presented(request, form)
    if secret is None:
        raise OAuthError("invalid_client", "Client authentication is required", 401)
    return client_id, secret


def _presented(request: Request, form: dict[str, str]) -> tuple[str, str | None, str]:
    """(client id, secret, the method it came by): Basic, the form, or a public client's
    bare `client_id` (`none`)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        if "client_secret" in form:
            raise OAuthError("invalid_request", "Use one client authentication method only")
        try:
            client_id, sep, secret = (
                base64.b64decode(encoded, validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "Malformed Basic credentials", 401) from exc
        if not sep:
            raise OAuthError("invalid_client", "Malformed Basic credentials", 401)
        return unquote_plus(client_id), unquote_plus(secret), "client_secret_basic"
    if "client_id" in form and "client_secret" in form:
        return form["client_id"], form["client_secret"], "client_secret_post"
    if form.get("client_id"):
        return form["client_id"], None, "none"
    raise OAuthError("invalid_client", "Client authentication is required", 401)


async def authenticated_app(
    request: Request, form: dict[str, str], db: AsyncSession, oauth: OAuthService, ip: str
) -> AppClient:
    """The application, authenticated by the method it registered (a public one by none)."""
    client_id, secret, method = _presented(request, form)
    client = await app_client(db, client_id)
    if client is None or client.auth_method != method:
        raise OAuthError("invalid_client", "Unknown client or wrong authentication method", 401)
    if secret is not None:
        await oauth.authenticate(db, client_id, secret, ip)
    return client


_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {
                            "type": "string",
                            "enum": ["client_credentials", "authorization_code", "refresh_token"],
                        },
                        "code": {"type": "string"},
                        "code_verifier": {"type": "string"},
                        "redirect_uri": {"type": "string"},
                        "refresh_token": {"type": "string"},
                        "scope": {"type": "string"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
    }
}
_TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "RFC 6749 §5.2 error: invalid_request, invalid_scope, unsupported_grant_type"
    },
    401: {"description": "RFC 6749 §5.2 error: invalid_client"},
    429: {"description": "Too many failed client authentications"},
}


@router.post("/token", openapi_extra=_FORM_SCHEMA, responses=_TOKEN_RESPONSES)
async def token(
    request: Request, db: DbDep, oauth: OAuthDep, apps: AppTokensDep, settings: SettingsDep
) -> JSONResponse:
    try:
        form = await read_form(request)
        if form.get("grant_type") in _APP_GRANTS:
            ip = client_ip(request, settings.trusted_networks)
            client = await authenticated_app(request, form, db, oauth, ip)
            if form["grant_type"] == "authorization_code":
                return JSONResponse(await apps.exchange_code(db, client, form), headers=NO_STORE)
            return JSONResponse(await apps.refresh(db, client, form), headers=NO_STORE)
        client_id, secret = _client_credentials(request, form)
        granted = await oauth.grant(
            db,
            grant_type=form.get("grant_type"),
            client_id=client_id,
            secret=secret,
            scope=form.get("scope", ""),
            ip=client_ip(request, settings.trusted_networks),
        )
    except OAuthError as error:
        return error_response(error)
    except RateLimited as limited:
        refused = {"error": "invalid_request", "error_description": limited.detail}
        return JSONResponse(refused, status_code=429, headers={**NO_STORE, **limited.headers})
    body: dict[str, Any] = {
        "access_token": granted.access_token,
        "token_type": "Bearer",
        "expires_in": granted.expires_in,
        "scope": granted.scope,
    }
    return JSONResponse(body, headers=NO_STORE)
