from __future__ import annotations

import time

from tests.helpers import PASSWORD, assert_problem, jwt_parts, log_in, sign_up

FULLWIDTH_A = "\N{FULLWIDTH LATIN SMALL LETTER A}"
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


async def test_sign_up_returns_201_with_token_response_and_refresh_cookie(client) -> None:
    response = await client.post(
        "/api/auth/signup", json={"email": "ann@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert response.headers["cache-control"] == "no-store"
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1
    attributes = [part.strip() for part in cookies[0].split(";")]
    assert attributes[0].startswith("refresh_token=") and len(attributes[0]) > 40
    assert sorted(attributes[1:]) == sorted(
        ["HttpOnly", "SameSite=Strict", "Path=/api/auth", "Max-Age=1209600", "Secure"]
    )


async def test_cookie_is_not_secure_only_when_turned_off(make_client) -> None:
    async with make_client(cookie_secure=False) as client:
        login = await sign_up(client, "ann@example.org")
    cookie = login.response.headers["set-cookie"]
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_access_token_has_the_contract_header_and_claims(client) -> None:
    login = await sign_up(client, "  Ann@Example.ORG ")
    header, claims = jwt_parts(login.access_token)
    jwks = (await client.get("/api/auth/.well-known/jwks.json")).json()
    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": jwks["keys"][0]["kid"]}
    assert claims["iss"] == "http://localhost:8080/api/auth"
    assert claims["aud"] == "resource-service"
    assert claims["exp"] - claims["iat"] == 900
    assert claims["nbf"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["client_id"] == "gatehouse-web"
    assert claims["scope"] == "openid profile email"
    assert claims["email"] == "Ann@example.org"
    me = (await client.get("/api/auth/me", headers=login.bearer)).json()
    assert claims["sub"] == me["id"]
    sessions = (await client.get("/api/auth/sessions", headers=login.bearer)).json()
    assert claims["sid"] == sessions[0]["id"]
    other = await sign_up(client, "bob@example.org")
    assert jwt_parts(other.access_token)[1]["jti"] != claims["jti"]


async def test_access_token_lifetime_follows_the_setting(make_client) -> None:
    async with make_client(access_token_ttl=60) as client:
        login = await sign_up(client, "ann@example.org")
    _, claims = jwt_parts(login.access_token)
    assert claims["exp"] - claims["iat"] == 60
    assert login.response.json()["expires_in"] == 60


async def test_email_is_normalised_and_unique_regardless_of_case(client, db) -> None:
    await sign_up(client, "  Ann.Lee@Example.ORG ")
    assert await db.fetchval("SELECT email FROM users") == "Ann.Lee@example.org"
    response = await client.post(
        "/api/auth/signup", json={"email": "ann.lee@EXAMPLE.org", "password": PASSWORD}
    )
    assert_problem(response, 409, "email_taken")
    assert await db.fetchval("SELECT count(*) FROM users") == 1


async def test_common_short_and_huge_passwords_are_refused_with_field_errors(client, db) -> None:
    for password, words in [
        ("password1", "too common"),
        ("Tr0ub4", "at least 8"),
        ("x" * 1025, "1024"),
        ("ann@example.org", "email"),
    ]:
        response = await client.post(
            "/api/auth/signup", json={"email": "ann@example.org", "password": password}
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "password"
        assert words in body["errors"][0]["message"], body
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_long_passphrases_up_to_1024_characters_are_accepted(client) -> None:
    passphrase = "ü" * 1024
    await sign_up(client, "ann@example.org", passphrase)
    await log_in(client, "ann@example.org", passphrase)
    wrong = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": "ü" * 1023 + "u"}
    )
    assert_problem(wrong, 401, "invalid_credentials")


async def test_invalid_email_is_a_422_problem(client) -> None:
    response = await client.post("/api/auth/signup", json={"email": "nope", "password": PASSWORD})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "email"


async def test_password_is_stored_as_argon2id_with_at_least_19_mib_and_2_passes(client, db) -> None:
    await sign_up(client, "ann@example.org")
    stored = await db.fetchval("SELECT password_hash FROM users")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored


async def test_a_fullwidth_email_is_the_same_account_as_its_ascii_form(client, db) -> None:
    ann = await sign_up(client, "admin@example.com")
    taken = await client.post(
        "/api/auth/signup", json={"email": f"{FULLWIDTH_A}dmin@example.com", "password": PASSWORD}
    )
    assert_problem(taken, 409, "email_taken")
    for typed in (f"{FULLWIDTH_A}dmin@example.com", "admin@example.com".translate(FULLWIDTH)):
        login = await log_in(client, typed)
        assert jwt_parts(login.access_token)[1]["sub"] == jwt_parts(ann.access_token)[1]["sub"]
    assert await db.fetchval("SELECT email FROM users") == "admin@example.com"


async def test_a_password_typed_in_fullwidth_matches_its_nfkc_form(client) -> None:
    await sign_up(client, "ann@example.org", PASSWORD)
    await log_in(client, "ann@example.org", PASSWORD.translate(FULLWIDTH))
    await sign_up(client, "bob@example.org", "coral-pilot-93".translate(FULLWIDTH))
    await log_in(client, "bob@example.org", "coral-pilot-93")
