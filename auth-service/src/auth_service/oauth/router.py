"""The OAuth 2.0 token endpoint (RFC 6749): the client-credentials grant, RFC 6749 errors."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from auth_service.auth.clientip import client_ip
from auth_service.auth.deps import LimiterDep
from auth_service.clients import service as clients
from auth_service.deps import DbDep, SettingsDep, TokensDep
from auth_service.errors import RateLimited
from auth_service.timeutil import utcnow

router = APIRouter(prefix="/oauth", tags=["oauth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"
_PARAMETERS = {"grant_type", "scope", "client_id", "client_secret"}


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> JSONResponse:
        headers = dict(_NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="gatehouse", charset="UTF-8"'
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        raise OAuthError("invalid_request", f"The body must be {_FORM}")
    try:
        pairs = parse_qsl(
            (await request.body()).decode(), keep_blank_values=True, strict_parsing=True
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError("invalid_request", "The body is not a valid form") from exc
    # RFC 6749 §3.2: no parameter more than once; unknown ones are ignored (§3.1).
    names = [name for name, _ in pairs if name in _PARAMETERS]
    if len(names) != len(set(names)):
        raise OAuthError("invalid_request", "A parameter was sent more than once")
    return dict(pairs)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client authentication: HTTP Basic (RFC 6749 §2.3.1) or the form fields, not both."""
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
        return unquote_plus(client_id), unquote_plus(secret)
    if "client_id" in form and "client_secret" in form:
        return form["client_id"], form["client_secret"]
    raise OAuthError("invalid_client", "Client authentication is required", 401)


_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
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
    request: Request, db: DbDep, limiter: LimiterDep, tokens: TokensDep, settings: SettingsDep
) -> JSONResponse:
    try:
        return await _token(request, db, limiter, tokens, settings)
    except OAuthError as error:
        return error.response()
    except RateLimited as limited:
        body = {"error": "invalid_request", "error_description": limited.detail}
        return JSONResponse(body, status_code=429, headers={**_NO_STORE, **limited.headers})


async def _token(
    request: Request, db: DbDep, limiter: LimiterDep, tokens: TokensDep, settings: SettingsDep
) -> JSONResponse:
    form = await _form(request)
    client_id, secret = _client_credentials(request, form)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only client_credentials is supported")
    # Per address only: a per-client limit would let anyone lock a client out.
    attempt = await limiter.reserve_client(client_ip(request, settings.trusted_networks))
    client = await clients.authenticate(db, client_id, secret)
    if client is None:
        raise OAuthError("invalid_client", "Unknown client or wrong secret", 401)
    await limiter.release(attempt)
    requested = form.get("scope", "").split()
    if not set(requested) <= set(client.scopes):
        raise OAuthError("invalid_scope", "The client may not request these scopes")
    granted = " ".join(sorted(set(requested or client.scopes)))
    access_token = tokens.access_token(
        utcnow(), sub=client.client_id, scope=granted, client_id=client.client_id
    )
    body = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": tokens.access_ttl,
        "scope": granted,
    }
    return JSONResponse(body, headers=_NO_STORE)
