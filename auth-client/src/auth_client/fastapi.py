"""FastAPI integration: the current principal, scope requirements, and RFC 6750 error answers.

Wiring: build `AuthClient(issuer=..., audience=...)` in the app factory, run `async with
client:` in the lifespan, and call `install_auth(app, client)`. Then a route takes
`principal: CurrentPrincipal`, or `Depends(require_scopes("admin"))`, and declares
`responses=AUTH_RESPONSES`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.responses import JSONResponse
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from auth_client.client import AuthClient
from auth_client.errors import AuthError, InsufficientScopeError, MissingTokenError
from auth_client.principal import Principal

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem detail; a validation error adds `errors`, one per field."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


def problem_type(code: str) -> str:
    return f"urn:gatehouse:problem:{code}"


def problem_response_doc(description: str) -> dict[str, Any]:
    """One entry of a route's `responses=`: a problem+json body described by `Problem`."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": schema}},
    }


# For a route's `responses=`: what the auth dependencies may answer instead of the route.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_response_doc("No access token, or one that is not valid"),
    403: problem_response_doc("The access token lacks a required scope"),
    503: problem_response_doc("The issuer's keys cannot be fetched right now"),
}


def install_auth(app: FastAPI, client: AuthClient) -> None:
    """Make `client` the app's verifier and answer auth errors as problem+json."""
    app.state.auth_client = client
    app.add_exception_handler(AuthError, auth_error_handler)


def auth_error_response(exc: AuthError, realm: str) -> JSONResponse:
    body = {
        "type": problem_type(exc.code),
        "title": exc.title,
        "status": exc.status_code,
        "detail": exc.detail,
        "code": exc.code,
    }
    return JSONResponse(
        body, status_code=exc.status_code, headers=exc.headers(realm), media_type=PROBLEM_JSON
    )


def get_auth_client(request: Request) -> AuthClient:
    client = getattr(request.app.state, "auth_client", None)
    if not isinstance(client, AuthClient):
        raise RuntimeError("no AuthClient on app.state: call install_auth(app, client)")
    return client


async def auth_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, AuthError):  # pragma: no cover - registered for AuthError only
        raise exc
    return auth_error_response(exc, get_auth_client(request).realm)


# Where a request keeps its verification: the principal, or the refusal, under a key of
# its own in the ASGI scope (one dict per request). Not in the scope's "state": servers
# and test harnesses may share that dict between requests (the lifespan state).
# The token is verified at most once per request, whichever dependency asks first; a
# route that asks for no principal verifies nothing.
_VERIFIED = "auth_client.verified"


async def verified_principal(request: Request) -> Principal:
    """The verified caller, from `Authorization: Bearer <token>`, verified once per request."""
    scope = request.scope
    verified = scope.get(_VERIFIED)
    if verified is None:
        scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
        try:
            if not token or scheme.lower() != "bearer":
                raise MissingTokenError()
            verified = await get_auth_client(request).verify(token)
        except AuthError as exc:
            scope[_VERIFIED] = exc
            raise
        scope[_VERIFIED] = verified
        request.state.principal = verified  # for access logs and error reports
        return verified
    if isinstance(verified, AuthError):
        raise verified
    principal: Principal = verified
    return principal


BEARER_DESCRIPTION = "An access token (RS256 JWT) from the Gatehouse auth service"


class BearerPrincipal(SecurityBase):
    """A dependency giving the verified caller; with `alternatives`, only one whose token has
    all the scopes of at least one alternative (else 403).

    It is itself the OpenAPI security scheme (`BearerToken`, HTTP bearer), so a route costs
    one dependency, not three (scheme, principal, scope check): FastAPI's dependency solving
    is the larger part of what authentication costs a request.
    """

    def __init__(self, alternatives: Iterable[frozenset[str]] = ()) -> None:
        self.model = HTTPBearerModel(description=BEARER_DESCRIPTION)
        self.scheme_name = "BearerToken"
        self.alternatives = tuple(alternatives)

    async def __call__(self, request: Request) -> Principal:
        principal = await verified_principal(request)
        alternatives = self.alternatives
        if alternatives and not any(principal.scopes >= scopes for scopes in alternatives):
            raise InsufficientScopeError(list(alternatives))
        return principal


# The dependency giving the verified caller (any scopes).
get_principal = BearerPrincipal()

CurrentPrincipal = Annotated[Principal, Depends(get_principal)]

PrincipalDependency = Callable[[Request], Awaitable[Principal]]


def require_scopes(*scopes: str) -> PrincipalDependency:
    """A dependency giving the principal if its token has ALL of `scopes`, else 403."""
    if not scopes:
        raise ValueError("require_scopes needs at least one scope")
    return BearerPrincipal([frozenset(scopes)])


def require_any_scope(*alternatives: str | Iterable[str]) -> PrincipalDependency:
    """A dependency giving the principal if its token satisfies ANY alternative, else 403.

    Each alternative is a scope, or a collection of scopes all of which are needed:
    `require_any_scope("admin", "stats:read")`, `require_any_scope({"a", "b"}, "c")`.
    """
    if not alternatives:
        raise ValueError("require_any_scope needs at least one alternative")
    sets = [
        frozenset([item]) if isinstance(item, str) else frozenset(item) for item in alternatives
    ]
    return BearerPrincipal(sets)
