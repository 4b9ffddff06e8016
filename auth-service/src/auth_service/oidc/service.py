"""The authorization endpoint and PAR (RFC 9126): check a request, store it, and hand
the browser to the web app's bounce page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients.apps import AppClient, app_client
from auth_service.oidc import authorize
from auth_service.oidc import requests as stored
from auth_service.oidc.authorize import ShownHere
from auth_service.timeutil import Clock, SystemClock


class Authorizations:
    def __init__(self, public_base: str, clock: Clock | None = None) -> None:
        self._public_base = public_base.rstrip("/")
        self._clock = clock or SystemClock()

    async def start(self, db: AsyncSession, params: Mapping[str, list[str]]) -> str:
        """The bounce page's URL for a valid request; raises ShownHere or SentBack."""
        try:
            client_id = authorize.single(params, "client_id")
            request_uri = authorize.single(params, "request_uri")
        except ValueError as exc:
            raise ShownHere(f"{exc} was sent more than once.") from exc
        client = await app_client(db, client_id) if client_id else None
        now = self._clock.now()
        if request_uri is not None:
            request = await self._pushed(db, client, request_uri)
        else:
            redirect_uri = authorize.target(client, params)
            assert client is not None
            request = authorize.checked(client, redirect_uri, params, pushed=False)
        request_id = await stored.store(db, request, now, stored.REQUEST_TTL)
        return f"{self._public_base}/authorize?request={request_id}"

    async def _pushed(
        self, db: AsyncSession, client: AppClient | None, request_uri: str
    ) -> stored.AuthorizationRequest:
        if client is None:
            raise ShownHere("This application is not known to Gatehouse.")
        pushed_id = request_uri.removeprefix(stored.PAR_PREFIX)
        found = None
        if request_uri.startswith(stored.PAR_PREFIX):
            found = await stored.take(db, pushed_id, self._clock.now())  # single use
        if found is None or not found.request.pushed or found.request.client_id != client.client_id:
            raise ShownHere("The pushed request is unknown, used or expired: start again.")
        return replace(found.request, pushed=False)  # now an authorization request

    async def push(
        self, db: AsyncSession, client: AppClient, params: Mapping[str, list[str]]
    ) -> str:
        """RFC 9126 §2: the request_uri of a checked request (errors as SentBack)."""
        redirect_uri = authorize.target(client, params)
        request = authorize.checked(client, redirect_uri, params, pushed=True)
        pushed_id = await stored.store(db, request, self._clock.now(), stored.PAR_TTL)
        return stored.PAR_PREFIX + pushed_id
