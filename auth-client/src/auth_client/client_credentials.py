"""`ClientCredentialsAuth`: an `httpx.Auth` that calls other services with a service token.

It gets an access token from the token endpoint with the OAuth 2.0 client-credentials grant
(RFC 6749 §4.4, client authentication by HTTP Basic, §2.3.1), reuses it until shortly before
it expires, lets one request fetch at a time however many run concurrently, and when the
target answers 401 (the token was revoked, or the keys rotated) fetches a new one and retries
once.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from dataclasses import dataclass
from urllib.parse import quote_plus

import httpx

from auth_client.discovery import fetch_provider_metadata
from auth_client.errors import DiscoveryError, TokenEndpointError

REQUEST_ID_HEADER = "X-Request-ID"

# RFC 6749 lets a server omit `expires_in`; assume a short life rather than forever.
DEFAULT_EXPIRES_IN = 300.0


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    renew_at: float  # on the monotonic clock


def basic_client_auth(client_id: str, client_secret: str) -> str:
    """The Authorization value of RFC 6749 §2.3.1: both parts form-encoded, then Basic."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _error_of(response: httpx.Response) -> TokenEndpointError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        if not isinstance(description, str):
            description = None
        return TokenEndpointError(response.status_code, body["error"], description)
    return TokenEndpointError(response.status_code, "invalid_response")


class ClientCredentialsAuth(httpx.Auth):
    """Bearer auth for an `httpx.AsyncClient`, with tokens from the client-credentials grant.

    Give `token_endpoint`, or `issuer` to find it through discovery. `token_client` is the
    client used to reach the token endpoint (tests, proxies); by default a short-lived one is
    made per fetch, which happens once per token lifetime. `request_id` gives the id of the
    request being served (e.g. a context variable's `get`): each call carries it as
    `X-Request-ID`, so one id follows a request across the services.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_endpoint: str | None = None,
        issuer: str | None = None,
        scope: str | Iterable[str] | None = None,
        renew_before: float = 30.0,
        token_client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        request_id: Callable[[], str | None] | None = None,
    ) -> None:
        if token_endpoint is None and issuer is None:
            raise ValueError("ClientCredentialsAuth needs a token_endpoint or an issuer")
        self._authorization = basic_client_auth(client_id, client_secret)
        self._token_endpoint = token_endpoint
        self._issuer = issuer
        self._scope = scope if isinstance(scope, str) or scope is None else " ".join(scope)
        self._renew_before = renew_before
        self._token_client = token_client
        self._timeout = timeout
        self._clock = clock
        self._request_id = request_id
        self._token: _Token | None = None
        self._lock = asyncio.Lock()

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise TypeError("ClientCredentialsAuth works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator, as httpx expects

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # Read a streamed body now: the retry after a 401 must be able to send it again.
        await request.aread()
        token = await self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        request_id = self._request_id() if self._request_id else None
        if request_id and REQUEST_ID_HEADER not in request.headers:
            request.headers[REQUEST_ID_HEADER] = request_id
        response = yield request
        if response.status_code == httpx.codes.UNAUTHORIZED:
            request.headers["Authorization"] = f"Bearer {await self.access_token(refused=token)}"
            yield request

    async def access_token(self, *, refused: str | None = None) -> str:
        """A token to send: the cached one while fresh and not `refused`, else a new one."""
        token = self._usable(refused)
        if token is not None:
            return token
        async with self._lock:
            # Whoever held the lock before us may have fetched one already.
            token = self._usable(refused)
            if token is None:
                self._token = await self._fetch()
                token = self._token.value
            return token

    def _usable(self, refused: str | None) -> str | None:
        token = self._token
        if token is None or token.value == refused or self._clock() >= token.renew_at:
            return None
        return token.value

    async def _fetch(self) -> _Token:
        if self._token_client is not None:
            return await self._fetch_with(self._token_client)
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            return await self._fetch_with(client)

    async def _fetch_with(self, client: httpx.AsyncClient) -> _Token:
        endpoint = await self._resolve_token_endpoint(client)
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        started = self._clock()  # counting from the request, not the answer, errs early
        response = await client.post(
            endpoint,
            data=form,
            headers={"Authorization": self._authorization, "Accept": "application/json"},
        )
        if response.status_code != httpx.codes.OK:
            raise _error_of(response)
        return self._parse(response, started)

    def _parse(self, response: httpx.Response, started: float) -> _Token:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise TokenEndpointError(response.status_code, "invalid_response", "no access_token")
        if str(body.get("token_type", "")).lower() != "bearer":
            raise TokenEndpointError(response.status_code, "invalid_response", "not a Bearer token")
        expires_in = body.get("expires_in", DEFAULT_EXPIRES_IN)
        if not isinstance(expires_in, int | float) or expires_in <= 0:
            expires_in = DEFAULT_EXPIRES_IN
        # Renew `renew_before` seconds early, but never spend more than half a short lifetime.
        margin = min(self._renew_before, expires_in / 2)
        return _Token(body["access_token"], started + expires_in - margin)

    async def _resolve_token_endpoint(self, client: httpx.AsyncClient) -> str:
        if self._token_endpoint is None:
            metadata = await fetch_provider_metadata(client, self._issuer or "")
            if metadata.token_endpoint is None:
                raise DiscoveryError("the discovery document has no token_endpoint")
            self._token_endpoint = metadata.token_endpoint
        return self._token_endpoint
