"""The authorization endpoint's checks (RFC 6749 §4.1.1, OAuth 2.1, OIDC Core §3.1.2.1).

Two kinds of failure: one that cannot be sent back safely (unknown client, a redirect URI
that is not exactly registered) is shown on Gatehouse's own page (`ShownHere`); any other
goes back to the application's redirect URI (`SentBack`, with `state` and `iss`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from auth_service.clients.apps import AppClient
from auth_service.oidc.requests import AuthorizationRequest

STANDARD_SCOPES = ("openid", "profile", "email", "offline_access")
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_MAX_TEXT = 2000


class ShownHere(Exception):
    """An error for Gatehouse's page: never a redirect."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class SentBack(Exception):
    """An RFC 6749 §4.1.2.1 error for the application's redirect URI."""

    def __init__(
        self, error: str, description: str, redirect_uri: str, state: str | None, mode: str
    ) -> None:
        super().__init__(description)
        self.error, self.description = error, description
        self.redirect_uri, self.state, self.mode = redirect_uri, state, mode


def single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise ValueError(name)
    return values[0] if values else None


def target(client: AppClient | None, params: Mapping[str, list[str]]) -> str:
    """The redirect URI to answer at: registered exactly (no normalising, no prefix)."""
    if client is None:
        raise ShownHere("This application is not known to Gatehouse.")
    if "authorization_code" not in client.grant_types:
        raise ShownHere("This application may not sign people in.")
    try:
        redirect_uri = single(params, "redirect_uri")
    except ValueError as exc:
        raise ShownHere("redirect_uri was sent more than once.") from exc
    if redirect_uri is None and len(client.redirect_uris) == 1:
        return client.redirect_uris[0]
    if redirect_uri is None or redirect_uri not in client.redirect_uris:
        raise ShownHere("The address to send you back to is not registered for this app.")
    return redirect_uri


def checked(
    client: AppClient, redirect_uri: str, params: Mapping[str, list[str]], *, pushed: bool
) -> AuthorizationRequest:
    """The request, or SentBack. Unknown parameters (`resource`, `claims`…) are ignored."""
    state = params.get("state", [None])[0]
    mode = params.get("response_mode", ["query"])[0] or "query"
    mode = mode if mode in ("query", "form_post") else "query"

    def refuse(error: str, description: str) -> SentBack:
        return SentBack(error, description, redirect_uri, state, mode)

    try:
        values = {
            name: single(params, name)
            for name in (
                "response_type",
                "response_mode",
                "scope",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method",
                "prompt",
                "max_age",
                "login_hint",
            )
        }
    except ValueError as exc:
        raise refuse("invalid_request", f"{exc} was sent more than once") from exc
    if any(value is not None and len(value) > _MAX_TEXT for value in values.values()):
        raise refuse("invalid_request", "A parameter is too long")
    if client.require_par and not pushed:
        raise refuse("invalid_request", "This client must push its requests (RFC 9126)")
    if values["response_type"] != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported")
    if values["response_mode"] not in (None, "query", "form_post"):
        raise refuse("invalid_request", "response_mode is query or form_post")
    challenge = values["code_challenge"]
    if challenge is None or not _CHALLENGE.match(challenge):
        raise refuse("invalid_request", "PKCE is required: code_challenge (S256)")
    if values["code_challenge_method"] != "S256":
        raise refuse("invalid_request", "code_challenge_method must be S256")
    prompt = (values["prompt"] or "").split()
    if not set(prompt) <= PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise refuse("invalid_request", "prompt is none, or any of login, consent")
    max_age = values["max_age"]
    if max_age is not None and not (max_age.isdigit() and len(max_age) <= 9):
        raise refuse("invalid_request", "max_age is a number of seconds")
    # A client may list openid too; one that registered itself gets only what it registered.
    standard = [s for s in STANDARD_SCOPES if s in client.scopes or not client.registered]
    allowed = dict.fromkeys((*standard, *client.scopes))
    asked = (values["scope"] or "").split()
    scope = " ".join(name for name in allowed if name in asked)  # unknown ones are dropped
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=challenge,
        state=state,
        nonce=values["nonce"],
        response_mode=mode,
        prompt=prompt,
        max_age=None if max_age is None else int(max_age),
        login_hint=values["login_hint"],
        pushed=pushed,
    )
