"""What an application learns about a person: the claims of the id_token and userinfo are
exactly what discovery lists, and scope `profile` invents nothing Gatehouse does not keep."""

from __future__ import annotations

import pytest

from tests.helpers import jwt_parts
from tests.oidc_flow import ADMIN, Flow, code_for, exchange, person, register_app

USERINFO = "/api/auth/oauth/userinfo"
DISCOVERY = "/api/auth/.well-known/openid-configuration"


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


async def _claims(app, scope: str) -> tuple[dict, dict]:
    """(id_token claims, userinfo answer) of one code flow with `scope`."""
    created = await register_app(app, first_party=True)
    flow = Flow(created["client_id"], scope=scope)
    code = (await code_for(app, flow, await person(app)))["code"]
    tokens = await exchange(app, flow, code)
    assert tokens.status_code == 200, tokens.text
    answer = tokens.json()
    info = await app.get(USERINFO, headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert info.status_code == 200, info.text
    return jwt_parts(answer["id_token"])[1], info.json()


async def test_discovery_lists_exactly_the_claims_the_id_token_and_userinfo_give(app) -> None:
    id_claims, info = await _claims(app, "openid profile email")
    doc = (await app.get(DISCOVERY)).json()
    assert "profile" in doc["scopes_supported"]
    assert sorted(doc["claims_supported"]) == sorted(set(id_claims) | set(info))


async def test_scope_profile_adds_no_claim_gatehouse_does_not_keep(app) -> None:
    id_claims, info = await _claims(app, "openid profile")
    assert info == {"sub": id_claims["sub"]}
    assert not {"email", "name", "preferred_username", "email_verified"} & set(id_claims)
