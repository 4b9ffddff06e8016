"""Unmodified third-party relying parties sign a person in through Gatehouse in Chromium:
the Authlib app and the openid-client app of tests-e2e/relying_parties/, each on
http://127.0.0.1:<port> (another site than Gatehouse's http://localhost:<port>), validate
the id_token and call userinfo with their own code, refresh, and log out (RP-initiated)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.async_api import Page, expect
from tests_e2e.oidc import RelyingParty, claims_of, issuer, relying_party
from tests_e2e.stacks import ARTIFACTS, RunningStack

from .helpers import (
    api_session,
    fresh_access_token,
    log_in,
    sign_up,
    unique_email,
)


@pytest.fixture(params=["authlib", "openid-client"])
def rp(request: pytest.FixtureRequest, stack: RunningStack) -> Iterator[RelyingParty]:
    with relying_party(request.param, stack.base_url, ARTIFACTS) as running:
        yield running


async def app_answer(page: Page, rp: RelyingParty, path: str) -> dict[str, Any]:
    """The JSON the relying party shows at `path` once the browser has landed there."""
    await expect(page).to_have_url(re.compile(rf"^{re.escape(rp.url + path)}"))
    answer: dict[str, Any] = json.loads(await page.locator("pre").first.inner_text())
    assert "error" not in answer, answer
    return answer


async def allow(page: Page, base_url: str, rp: RelyingParty) -> None:
    """The consent page: the app's name, the scopes in words, "Allow"."""
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/consent\?request="))
    await expect(page.locator("#consent-app")).to_have_text(rp.client["name"])
    await page.get_by_role("button", name="Allow").click()


async def signs_in(page: Page, rp: RelyingParty, base_url: str, email: str, sub: str) -> None:
    answer = await app_answer(page, rp, "/callback")
    id_token, userinfo = answer["id_token"], answer["userinfo"]
    assert id_token["iss"] == issuer(base_url)
    assert id_token["sub"] == sub and id_token["email"] == email
    aud = id_token["aud"]
    assert rp.client["client_id"] in (aud if isinstance(aud, list) else [aud])
    assert userinfo["sub"] == sub and userinfo["email"] == email


async def test_a_person_with_a_session_signs_in_refreshes_and_logs_out(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    email = await sign_up(page, base_url)
    sub = claims_of(await fresh_access_token(base_url, email))["sub"]

    await page.goto(f"{rp.url}/login")
    await allow(page, base_url, rp)
    await signs_in(page, rp, base_url, email, sub)

    await page.goto(f"{rp.url}/refresh")
    assert (await app_answer(page, rp, "/refresh"))["userinfo"]["sub"] == sub

    await page.goto(f"{rp.url}/logout")
    assert (await app_answer(page, rp, "/logged-out?state="))["logged_out"] is True
    # The Gatehouse session ended with the app's: Gatehouse's own pages ask for a log-in.
    await page.goto(f"{base_url}/")
    await expect(page).to_have_url(f"{base_url}/login?next=%2F&notice=session-ended")
    await expect(page.get_by_role("status")).to_contain_text("Your session ended")


async def test_a_person_without_a_session_logs_in_on_the_way_and_consent_is_remembered(
    page: Page, base_url: str, rp: RelyingParty
) -> None:
    email = unique_email("rp")
    await (await api_session(base_url, email, "pytest", new=True)).aclose()
    sub = claims_of(await fresh_access_token(base_url, email))["sub"]

    await page.goto(f"{rp.url}/login")
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/login\?"))
    await log_in(page, email)
    await allow(page, base_url, rp)
    await signs_in(page, rp, base_url, email, sub)

    # Again, after logging out: a new log-in, and no consent page (the app is allowed).
    await page.goto(f"{rp.url}/logout")
    await app_answer(page, rp, "/logged-out?state=")
    await page.goto(f"{rp.url}/login")
    await expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/login\?"))
    await log_in(page, email)
    await signs_in(page, rp, base_url, email, sub)
