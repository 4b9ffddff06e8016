"""The account slice's services, as dependencies (built in the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.account.emails import EmailService
from auth_service.account.service import AccountService
from auth_service.deps import from_state

AccountDep = Annotated[AccountService, Depends(from_state("account"))]
EmailsDep = Annotated[EmailService, Depends(from_state("emails"))]
