"""The authorization endpoint and the decision API of the bounce page (see
docs/auth-service.md, "OpenID Provider")."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from auth_service.deps import ClockDep, CurrentPrincipal, DbDep, SettingsDep
from auth_service.errors import problem_responses
from auth_service.http.tokens import NO_STORE
from auth_service.oidc import pages
from auth_service.oidc import requests as stored
from auth_service.oidc.authorize import SentBack, ShownHere
from auth_service.oidc.decision import RequestUnknown, redirect_url
from auth_service.oidc.deps import AuthorizationsDep, DecisionsDep, OptionalPrincipal

router = APIRouter(prefix="/oauth", tags=["openid provider"])
_FORM = "application/x-www-form-urlencoded"


async def params_of(request: Request) -> dict[str, list[str]]:
    """The query of a GET, the form of a POST (OIDC Core §3.1.2.1 allows both)."""
    if request.method == "GET":
        return parse_qs(request.url.query, keep_blank_values=True)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        raise ShownHere(f"The body must be {_FORM}.")
    try:
        return parse_qs((await request.body()).decode(), keep_blank_values=True)
    except UnicodeDecodeError as exc:
        raise ShownHere("The request is not valid.") from exc


def sent_back(error: SentBack, issuer: str) -> Response:
    params = {
        "error": error.error,
        "error_description": error.description,
        "state": error.state,
        "iss": issuer,
    }
    if error.mode == "form_post":
        return pages.form_post(error.redirect_uri, {k: v for k, v in params.items() if v})
    url = redirect_url(error.redirect_uri, params)
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


_AUTHORIZE_RESPONSES: dict[int | str, dict[str, Any]] = {
    303: {"description": "To the web app's sign-in page, or back to the application with an error"},
    400: {"description": "An error page: unknown client or unregistered redirect_uri"},
}


@router.get(
    "/authorize",
    response_class=HTMLResponse,
    operation_id="authorize_get",
    responses=_AUTHORIZE_RESPONSES,
)
@router.post(
    "/authorize",
    response_class=HTMLResponse,
    operation_id="authorize_post",
    responses=_AUTHORIZE_RESPONSES,
)
async def authorize(
    request: Request, db: DbDep, authorizations: AuthorizationsDep, settings: SettingsDep
) -> Response:
    """Checks and stores the request, then sends the browser to the web app's page."""
    try:
        bounce = await authorizations.start(db, await params_of(request))
    except ShownHere as error:
        return pages.error_page(error.description)
    except SentBack as error:
        return sent_back(error, settings.issuer)
    return RedirectResponse(bounce, status_code=303, headers=NO_STORE)


class ConsentAnswer(BaseModel):
    allow: bool


_DECISION = problem_responses(401, 404)


@router.post("/authorize/{request_id}", responses=_DECISION)
async def decide(
    request_id: str, db: DbDep, decisions: DecisionsDep, principal: OptionalPrincipal
) -> dict[str, Any]:
    return await decisions.decide(db, request_id, principal)


@router.get("/authorize/{request_id}", responses=_DECISION)
async def consent_view(
    request_id: str, db: DbDep, decisions: DecisionsDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await decisions.view(db, request_id, principal)


@router.post("/authorize/{request_id}/consent", responses=_DECISION)
async def consent(
    request_id: str,
    answer: ConsentAnswer,
    db: DbDep,
    decisions: DecisionsDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    return await decisions.consent(db, request_id, principal, answer.allow)


@router.get(
    "/authorize/{request_id}/form_post",
    response_class=HTMLResponse,
    responses=problem_responses(404),
)
async def form_post(request_id: str, db: DbDep, clock: ClockDep) -> Response:
    """The one-time page that posts the answer to the application (response_mode=form_post)."""
    found = await stored.take(db, request_id, clock.now(), answered=True)
    if found is None or found.response is None:
        raise RequestUnknown("The sign-in answer is unknown or was already sent")
    return pages.form_post(found.request.redirect_uri, found.response)
