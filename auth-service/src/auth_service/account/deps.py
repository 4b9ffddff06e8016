"""The account slice's services, as dependencies (from the registry)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.account.emails import EmailService
from auth_service.account.service import AccountService
from auth_service.account.signin import EmailSignInService
from auth_service.deps import Provider


class AccountNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def account(self) -> AccountService: ...
    @property
    def emails(self) -> EmailService: ...
    @property
    def email_sign_in(self) -> EmailSignInService: ...


provide = Provider[AccountNeeds]()

AccountDep = Annotated[AccountService, Depends(provide(lambda r: r.account))]
EmailsDep = Annotated[EmailService, Depends(provide(lambda r: r.emails))]
SignInDep = Annotated[EmailSignInService, Depends(provide(lambda r: r.email_sign_in))]
