"""The OpenID Provider slice's services, as dependencies (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from auth_client import Principal
from fastapi import Depends, Request

from auth_service.deps import Provider, current_principal
from auth_service.oidc.decision import Decisions
from auth_service.oidc.service import Authorizations


class OidcNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def authorizations(self) -> Authorizations: ...
    @property
    def decisions(self) -> Decisions: ...


provide = Provider[OidcNeeds]()

AuthorizationsDep = Annotated[Authorizations, Depends(provide(lambda r: r.authorizations))]
DecisionsDep = Annotated[Decisions, Depends(provide(lambda r: r.decisions))]


async def optional_principal(request: Request) -> Principal | None:
    """The caller of a Bearer token when one is sent (and then it must be valid)."""
    if "authorization" not in request.headers:
        return None
    return await current_principal(request)


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
