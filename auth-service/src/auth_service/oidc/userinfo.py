"""The UserInfo endpoint (OIDC Core §5.3): the claims of the granted scopes, for the
access token sent as RFC 6750 says (the header; on POST also the `access_token` field)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from auth_client import InvalidTokenError, Principal
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from auth_service.deps import DbDep, SessionEndsDep, VerifierDep
from auth_service.errors import InsufficientScope, InvalidToken, MissingToken, problem_responses
from auth_service.http.tokens import NO_STORE
from auth_service.users import repository as users

router = APIRouter(prefix="/oauth", tags=["openid provider"])
_FORM = "application/x-www-form-urlencoded"


async def _token_of(request: Request) -> str:
    scheme, _, header_token = request.headers.get("authorization", "").partition(" ")
    from_header = header_token.strip() if scheme.lower() == "bearer" else ""
    from_body = ""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST" and content_type == _FORM:
        try:
            values = parse_qs((await request.body()).decode()).get("access_token", [])
        except UnicodeDecodeError as exc:
            raise InvalidToken("The body is not a valid form") from exc
        from_body = values[0] if len(values) == 1 else ""
    if from_header and from_body:  # RFC 6750 §2: one method only
        raise InvalidToken("Send the token one way only")
    if not (from_header or from_body):
        raise MissingToken()
    return from_header or from_body


@router.get("/userinfo", responses=problem_responses(401, 403), operation_id="userinfo_get")
@router.post("/userinfo", responses=problem_responses(401, 403), operation_id="userinfo_post")
async def userinfo(
    request: Request, db: DbDep, verifier: VerifierDep, sessions: SessionEndsDep
) -> JSONResponse:
    try:
        principal: Principal = await verifier.verify(await _token_of(request))
    except InvalidTokenError as exc:
        raise InvalidToken(exc.detail) from exc
    if principal.sid is None or await sessions.has_ended(principal.sid):
        raise InvalidToken("This token does not speak for a signed-in person")
    scopes = set(str(principal.claims.get("scope", "")).split())
    if "openid" not in scopes:
        raise InsufficientScope("openid")
    user = await users.get(db, uuid.UUID(principal.sub))
    if user is None:
        raise InvalidToken("The user is gone")
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "email" in scopes:
        claims.update(email=user.email, email_verified=user.email_verified)
    return JSONResponse(claims, headers=NO_STORE)
