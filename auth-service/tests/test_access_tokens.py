from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from tests.helpers import assert_problem, jwt_parts, registry, sign_up


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _me(client, token: str):
    # Sent as UTF-8 bytes, so that non-ASCII garbage reaches the server as a client could send it.
    return await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}".encode()})


def _assert_invalid_token(response) -> None:
    assert_problem(response, 401, "invalid_token")
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_missing_token_is_401_with_a_bearer_challenge(client) -> None:
    response = await client.get("/api/auth/me")
    assert_problem(response, 401, "missing_token")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_garbage_tokens_are_401_never_500(client) -> None:
    for garbage in ["x", "a.b.c", "eyJhbGciOiJSUzI1NiJ9..", "é" * 10, "Bearer", "." * 500]:
        _assert_invalid_token(await _me(client, garbage))


async def test_alg_none_is_refused(client) -> None:
    login = await sign_up(client, "ann@example.org")
    header, claims = jwt_parts(login.access_token)
    forged = f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}."
    _assert_invalid_token(await _me(client, forged))


async def test_hs256_signed_with_the_public_key_is_refused(client) -> None:
    login = await sign_up(client, "ann@example.org")
    header, claims = jwt_parts(login.access_token)
    keys = registry(client).keys.ring.access
    public_pem = keys[header["kid"]].verifier.to_pem()
    # Forged by hand: libraries (rightly) refuse to use a public key as an HMAC secret.
    signing_input = (
        f"{_b64({'alg': 'HS256', 'kid': header['kid'], 'typ': 'at+jwt'})}.{_b64(claims)}"
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    _assert_invalid_token(await _me(client, forged))


async def test_a_foreign_key_under_a_real_kid_is_refused(client) -> None:
    login = await sign_up(client, "ann@example.org")
    header, claims = jwt_parts(login.access_token)
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {**claims, "scope": "openid admin"},
        foreign,
        algorithm="RS256",
        headers={"kid": header["kid"], "typ": "at+jwt"},
    )
    _assert_invalid_token(await _me(client, forged))


async def test_embedded_jwk_and_jku_are_not_trusted(client) -> None:
    login = await sign_up(client, "ann@example.org")
    _, claims = jwt_parts(login.access_token)
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims,
        foreign,
        algorithm="RS256",
        headers={"kid": "attacker", "typ": "at+jwt", "jku": "http://evil.example/jwks.json"},
    )
    _assert_invalid_token(await _me(client, forged))


async def test_a_tampered_claim_breaks_the_signature(client) -> None:
    login = await sign_up(client, "ann@example.org")
    header_b64, _, signature = login.access_token.split(".")
    _, claims = jwt_parts(login.access_token)
    tampered = f"{header_b64}.{_b64({**claims, 'scope': 'openid admin'})}.{signature}"
    _assert_invalid_token(await _me(client, tampered))


async def test_expired_wrong_audience_and_wrong_issuer_tokens_are_refused(client) -> None:
    login = await sign_up(client, "ann@example.org")
    header, claims = jwt_parts(login.access_token)
    key = registry(client).keys.ring.access[header["kid"]].signer
    now = int(time.time())
    for changes in [
        {"exp": now - 120, "iat": now - 1000, "nbf": now - 1000},
        {"aud": "another-service"},
        {"iss": "http://evil.example"},
        {"nbf": now + 600},
    ]:
        forged = jwt.encode(
            {**claims, **changes},
            key,
            algorithm="RS256",
            headers={"kid": header["kid"], "typ": "at+jwt"},
        )
        _assert_invalid_token(await _me(client, forged))
    # The same key with the claims unchanged is accepted: the refusals above are the claims.
    genuine = jwt.encode(
        claims, key, algorithm="RS256", headers={"kid": header["kid"], "typ": "at+jwt"}
    )
    assert (await _me(client, genuine)).status_code == 200


async def test_a_token_of_the_wrong_type_is_refused(client) -> None:
    login = await sign_up(client, "ann@example.org")
    header, claims = jwt_parts(login.access_token)
    key = registry(client).keys.ring.access[header["kid"]].signer
    as_id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})
    _assert_invalid_token(await _me(client, as_id_token))


def _resigned(client, token: str, headers: dict | None = None, **changes) -> str:
    """The token's own claims (changed as asked), re-signed with the service's own key."""
    header, claims = jwt_parts(token)
    key = registry(client).keys.ring.access[header["kid"]].signer
    headers = {"kid": header["kid"], "typ": "at+jwt", **(headers or {})}
    return jwt.encode({**claims, **changes}, key, algorithm="RS256", headers=headers)


async def test_an_access_token_with_an_unknown_critical_header_is_refused(client) -> None:
    login = await sign_up(client, "ann@example.org")
    forged = _resigned(client, login.access_token, {"crit": ["exp-binding"], "exp-binding": 1})
    _assert_invalid_token(await _me(client, forged))


async def test_an_access_token_typed_application_at_jwt_is_accepted(client) -> None:
    # RFC 9068 §2.1 / RFC 8725 §3.11: the media type may carry its "application/" prefix.
    login = await sign_up(client, "ann@example.org")
    token = _resigned(client, login.access_token, {"typ": "application/at+jwt"})
    assert (await _me(client, token)).status_code == 200


async def test_an_access_token_is_refused_from_the_second_of_its_expiry_plus_leeway(client) -> None:
    # RFC 7519 §4.1.4: expired "on or after" exp; the leeway is 30 s, as at resource servers.
    login = await sign_up(client, "ann@example.org")
    now = int(time.time())
    token = _resigned(client, login.access_token, exp=now - 30, iat=now - 900, nbf=now - 900)
    _assert_invalid_token(await _me(client, token))
