"""The oauth slice's service, as a dependency (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.deps import Provider
from auth_service.oauth.app_tokens import AppTokens
from auth_service.oauth.service import OAuthService


class OAuthNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def oauth(self) -> OAuthService: ...
    @property
    def app_tokens(self) -> AppTokens: ...


provide = Provider[OAuthNeeds]()

OAuthDep = Annotated[OAuthService, Depends(provide(lambda r: r.oauth))]
AppTokensDep = Annotated[AppTokens, Depends(provide(lambda r: r.app_tokens))]
