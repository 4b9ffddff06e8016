"""The decision loop of the authorization flow: what the bounce page is to do next (log
in, consent, or go back to the application with a code or an error)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from auth_client import Principal
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients.apps import AppClient, app_client
from auth_service.errors import AppError
from auth_service.oauth import codes
from auth_service.oidc import consents
from auth_service.oidc import requests as stored
from auth_service.oidc.requests import AuthorizationRequest
from auth_service.sessions import repository as sessions
from auth_service.timeutil import Clock, SystemClock

SCOPE_TEXTS = {
    "openid": "Sign you in with your Gatehouse account",
    "profile": "See your basic profile",
    "email": "See your email address",
    "offline_access": "Stay connected when you are not using it",
}


class RequestUnknown(AppError):
    status_code, code, title = 404, "authorization_request_unknown", "No such sign-in request"


def redirect_url(redirect_uri: str, params: Mapping[str, str | None]) -> str:
    query = urlencode({name: value for name, value in params.items() if value is not None})
    return redirect_uri + ("&" if "?" in redirect_uri else "?") + query


def scope_list(scope: str) -> list[dict[str, str]]:
    return [{"scope": name, "text": SCOPE_TEXTS.get(name, name)} for name in scope.split()]


class Decisions:
    def __init__(self, issuer: str, web_client_id: str, clock: Clock | None = None) -> None:
        self._issuer, self._web_client_id = issuer, web_client_id
        self._clock = clock or SystemClock()

    def answer(self, request_id: str, request: AuthorizationRequest, **params: str | None) -> Any:
        """The redirect to the application (`iss` always, RFC 9207), or for form_post the
        one-time page of this service that posts it."""
        params = {**params, "state": request.state, "iss": self._issuer}
        if request.response_mode == "form_post":
            return {"form_post": {k: v for k, v in params.items() if v is not None}}
        return {"action": "redirect", "url": redirect_url(request.redirect_uri, params)}

    async def _finish(
        self, db: AsyncSession, request_id: str, request: AuthorizationRequest, **params: str
    ) -> dict[str, Any]:
        answer = self.answer(request_id, request, **params)
        if "form_post" in answer:
            await stored.answer_later(db, request_id, answer["form_post"], self._clock.now())
            url = f"{self._issuer}/oauth/authorize/{request_id}/form_post"
            return {"action": "redirect", "url": url}
        await stored.forget(db, request_id)
        return dict(answer)

    async def _load(self, db: AsyncSession, request_id: str) -> tuple[stored.Stored, AppClient]:
        found = await stored.load(db, request_id, self._clock.now())
        client = None if found is None else await app_client(db, found.request.client_id)
        if found is None or found.request.pushed or found.response is not None or not client:
            raise RequestUnknown("The sign-in request is unknown or has expired: start again")
        return found, client

    def _person(self, principal: Principal | None) -> Principal | None:
        """Only the web app's own tokens of a live session speak for the person here."""
        if principal is None or principal.sid is None:
            return None
        return principal if principal.claims.get("client_id") == self._web_client_id else None

    async def decide(
        self, db: AsyncSession, request_id: str, principal: Principal | None
    ) -> dict[str, Any]:
        found, client = await self._load(db, request_id)
        request, person = found.request, self._person(principal)
        silent = "none" in request.prompt
        fresh = person is not None and await self._needs_fresh_login(db, found, person)
        if person is None or fresh:
            if silent:
                return await self._finish(db, request_id, request, error="login_required")
            return {"action": "login", "fresh": fresh, "login_hint": request.login_hint}
        user_id = uuid.UUID(person.sub)
        allowed = await consents.scopes_of(db, user_id, client.client_id)
        asked_again = "consent" in request.prompt and not client.first_party
        if not client.first_party and (asked_again or not set(request.scope.split()) <= allowed):
            if silent:
                return await self._finish(db, request_id, request, error="consent_required")
            return {"action": "consent", **self.consent_view(client, request)}
        return await self._code(db, request_id, request, person)

    async def _needs_fresh_login(
        self, db: AsyncSession, found: stored.Stored, person: Principal
    ) -> bool:
        """prompt=login and max_age, judged on the session's own record of when the person
        last proved who they are (microseconds), not the token's whole-second `auth_time`:
        a log-in in the same second just before the request must not pass for a fresh one.
        A proof newer than the request satisfies both, so max_age=0 cannot loop."""
        request = found.request
        if "login" not in request.prompt and request.max_age is None:
            return False
        assert person.sid is not None
        login = await sessions.get(db, uuid.UUID(person.sid))
        if login is None:
            return True
        if login.auth_time > found.created_at:
            return False
        if "login" in request.prompt or request.max_age is None:
            return True
        return self._clock.now() - login.auth_time > timedelta(seconds=request.max_age)

    def consent_view(self, client: AppClient, request: AuthorizationRequest) -> dict[str, Any]:
        return {
            "client": {"client_id": client.client_id, "name": client.name},
            "scopes": scope_list(request.scope),
        }

    async def view(
        self, db: AsyncSession, request_id: str, principal: Principal | None
    ) -> dict[str, Any]:
        found, client = await self._load(db, request_id)
        return self.consent_view(client, found.request)

    async def consent(
        self, db: AsyncSession, request_id: str, principal: Principal | None, allow: bool
    ) -> dict[str, Any]:
        found, client = await self._load(db, request_id)
        person = self._person(principal)
        if person is None:
            return {"action": "login", "fresh": False, "login_hint": found.request.login_hint}
        if not allow:
            return await self._finish(db, request_id, found.request, error="access_denied")
        scopes = found.request.scope.split()
        await consents.allow(db, uuid.UUID(person.sub), client.client_id, scopes, self._now())
        return await self._code(db, request_id, found.request, person)

    def _now(self) -> datetime:
        return self._clock.now()

    async def _code(
        self, db: AsyncSession, request_id: str, request: AuthorizationRequest, person: Principal
    ) -> dict[str, Any]:
        assert person.sid is not None
        auth_time = datetime.fromtimestamp(int(person.claims.get("auth_time", 0)), UTC)
        amr = person.claims.get("amr")
        grant = codes.CodeGrant(
            client_id=request.client_id,
            user_id=uuid.UUID(person.sub),
            browser_sid=uuid.UUID(person.sid),
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            scope=request.scope,
            nonce=request.nonce,
            auth_time=auth_time,
            amr=[str(method) for method in amr] if isinstance(amr, list) else ["pwd"],
        )
        code = await codes.issue(db, grant, self._now())
        return await self._finish(db, request_id, request, code=code)
