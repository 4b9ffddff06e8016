"""The mail sender, as a dependency: a route that queued mail wakes it once committed."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from auth_service.deps import Provider
from auth_service.mail.sender import MailSender


class MailNeeds(Protocol):
    """What the routes of this slice take from the registry."""

    @property
    def mail_sender(self) -> MailSender: ...


provide = Provider[MailNeeds]()

MailSenderDep = Annotated[MailSender, Depends(provide(lambda r: r.mail_sender))]
