"""The mail sender, as a dependency: a route that queued mail wakes it once committed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth_service.deps import from_state
from auth_service.mail.sender import MailSender

MailSenderDep = Annotated[MailSender, Depends(from_state("mail_sender"))]
