"""`POST /oauth/register`: RFC 7591 dynamic client registration over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from auth_service.deps import DbDep, SettingsDep
from auth_service.errors import problem_responses
from auth_service.http.clientip import client_ip
from auth_service.http.tokens import NO_STORE
from auth_service.registration.deps import RegistrationsDep
from auth_service.registration.metadata import ClientMetadata, MetadataRefused, RegisteredClient

router = APIRouter(prefix="/oauth", tags=["openid provider"])

_RFC7591_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "enum": ["invalid_redirect_uri", "invalid_client_metadata"]},
        "error_description": {"type": "string"},
    },
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(401, 404, 429),
    400: {
        "description": "RFC 7591 §3.2.2 error: invalid_redirect_uri, invalid_client_metadata",
        "content": {"application/json": {"schema": _RFC7591_ERROR}},
    },
}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ClientMetadata.model_json_schema()}},
    }
}


@router.post(
    "/register",
    status_code=201,
    response_model=RegisteredClient,
    response_model_exclude_none=True,
    responses=_RESPONSES,
    openapi_extra=_BODY,
)
async def register(
    request: Request, db: DbDep, registrations: RegistrationsDep, settings: SettingsDep
) -> JSONResponse:
    """Registers an application (AUTH_CLIENT_REGISTRATION: 404 when `off`; `token` needs
    `Authorization: Bearer <initial access token>`; `open` takes public clients only)."""
    ip = client_ip(request, settings.trusted_networks)
    authorization = request.headers.get("authorization")
    try:
        body = await registrations.register(db, await request.body(), authorization, ip)
    except MetadataRefused as refused:
        return JSONResponse(refused.body(), status_code=400, headers=NO_STORE)
    return JSONResponse(body, status_code=201, headers=NO_STORE)
