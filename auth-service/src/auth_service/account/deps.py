"""The account slice's services, as dependencies (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.account.emails import EmailService
from auth_service.account.service import AccountService
from auth_service.deps import Provider


class AccountNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def account(self) -> AccountService: ...
    @property
    def emails(self) -> EmailService: ...


provide = Provider[AccountNeeds]()

AccountDep = Annotated[AccountService, Depends(provide(lambda r: r.account))]
EmailsDep = Annotated[EmailService, Depends(provide(lambda r: r.emails))]
