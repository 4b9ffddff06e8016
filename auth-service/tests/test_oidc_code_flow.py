from __future__ import annotations

import pytest

from tests.helpers import jwt_parts
from tests.oidc_flow import (
    ADMIN,
    ISSUER,
    Flow,
    code_for,
    exchange,
    person,
    register_app,
)


@pytest.fixture
async def app(make_client):
    async with make_client(**ADMIN) as client:
        yield client


async def test_a_public_client_signs_a_person_in_with_pkce(app) -> None:
    created = await register_app(app)
    assert created["client_secret"] is None
    login = await person(app)
    flow = Flow(created["client_id"])
    callback = await code_for(app, flow, login)
    assert callback["state"] == flow.state and callback["iss"] == ISSUER
    response = await exchange(app, flow, callback["code"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "openid email"
    assert "refresh_token" in body
    _, claims = jwt_parts(body["access_token"])
    assert claims["client_id"] == created["client_id"]
    header, id_claims = jwt_parts(body["id_token"])
    assert header["alg"] == "RS256" and header["kid"]
    assert id_claims["aud"] == created["client_id"] and id_claims["nonce"] == flow.nonce
    assert id_claims["sid"] == jwt_parts(login.access_token)[1]["sid"]
