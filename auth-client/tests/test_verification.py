"""What a token must be to be accepted, and the forgeries that must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from auth_client import InvalidTokenError, JWKSCache, TokenExpiredError, TokenVerifier
from auth_client.jws import b64url_decode, b64url_encode
from auth_client.testing import LocalIssuer, ServerThread, SigningKey


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


async def test_a_valid_token_gives_the_principal_it_was_issued_for(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.mint("user-42", "notes:read notes:write", sid="s-1", email="a@example.com")

    principal = await verifier.verify(token)

    assert principal.sub == "user-42"
    assert principal.scopes == {"notes:read", "notes:write"}
    assert principal.scope == "notes:read notes:write"
    assert (principal.sid, principal.email, principal.client_id) == (
        "s-1",
        "a@example.com",
        "gatehouse-web",
    )
    assert principal.claims["iss"] == issuer.issuer


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"])
async def test_the_access_token_type_is_matched_case_insensitively(
    issuer: LocalIssuer, verifier: TokenVerifier, typ: str
) -> None:
    principal = await verifier.verify(issuer.mint(headers={"typ": typ}))
    assert principal.sub == "user-1"


async def test_an_unsigned_alg_none_token_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    header = {"alg": "none", "typ": "at+jwt", "kid": issuer.signing_key.kid}
    token = _segments(header, issuer.claims(scope="admin")) + "."

    with pytest.raises(InvalidTokenError, match="algorithm"):
        await verifier.verify(token)


async def test_a_token_hmac_signed_with_the_public_key_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    # The classic confusion: the attacker knows the public key and uses it as an HS256 secret.
    header = {"alg": "HS256", "typ": "at+jwt", "kid": issuer.signing_key.kid}
    signing_input = _segments(header, issuer.claims(scope="admin"))
    mac = hmac.new(issuer.signing_key.public_pem, signing_input.encode(), hashlib.sha256)
    token = f"{signing_input}.{_b64(mac.digest())}"

    with pytest.raises(InvalidTokenError, match="algorithm"):
        await verifier.verify(token)


async def test_a_token_signed_by_a_foreign_key_under_a_real_kid_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier, rsa_keys: list[SigningKey]
) -> None:
    attacker = SigningKey(issuer.signing_key.kid, rsa_keys[1].private_key, rsa_keys[1].signer)

    with pytest.raises(InvalidTokenError, match="signature"):
        await verifier.verify(issuer.mint(scope="admin", key=attacker))


async def test_a_token_carrying_its_own_key_or_key_url_is_refused_without_fetching_it(
    issuer: LocalIssuer, verifier: TokenVerifier, rsa_keys: list[SigningKey]
) -> None:
    attacker = rsa_keys[1]
    decoy = LocalIssuer(signing_key=attacker)
    with ServerThread(decoy.app) as decoy_server:
        headers = {
            "jku": f"{decoy_server.url}/.well-known/jwks.json",
            "jwk": attacker.public_jwk,
            "x5u": f"{decoy_server.url}/cert.pem",
        }
        token = issuer.mint(scope="admin", key=attacker, headers=headers)

        with pytest.raises(InvalidTokenError):
            await verifier.verify(token)

    assert decoy.jwks_fetches == 0


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "http://evil.example"}, "issuer"),
        ({"aud": "another-service"}, "audience"),
        ({"aud": None}, "aud"),
        ({"sub": None}, "sub"),
        ({"exp": None}, "exp"),
    ],
)
async def test_a_token_with_wrong_or_missing_claims_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier, claims: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidTokenError, match=reason):
        await verifier.verify(issuer.mint(**claims))


async def test_a_token_meant_for_several_audiences_including_ours_is_accepted(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.mint(aud=["other-service", issuer.audience])
    assert (await verifier.verify(token)).sub == "user-1"


@pytest.mark.parametrize("typ", ["JWT", "refresh+jwt", None])
async def test_a_token_that_is_not_an_access_token_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier, typ: str | None
) -> None:
    with pytest.raises(InvalidTokenError, match="not an access token"):
        await verifier.verify(issuer.mint(headers={"typ": typ}))


async def test_a_token_without_kid_is_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidTokenError, match="no signing key"):
        await verifier.verify(issuer.mint(headers={"kid": None}))


async def test_a_token_with_an_unknown_critical_header_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.mint(headers={"crit": ["exp-binding"], "exp-binding": True})
    with pytest.raises(InvalidTokenError, match="critical"):
        await verifier.verify(token)


async def test_an_expired_token_is_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    now = int(time.time())
    token = issuer.mint(iat=now - 900, nbf=now - 900, exp=now - 60)

    with pytest.raises(TokenExpiredError):
        await verifier.verify(token)


async def test_a_token_expired_within_the_leeway_is_still_accepted(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    now = int(time.time())
    token = issuer.mint(iat=now - 900, nbf=now - 900, exp=now - 5)

    assert (await verifier.verify(token)).sub == "user-1"


@pytest.mark.parametrize("typ", ["JWT", "jwt", "application/jwt", "rt+jwt"])
async def test_only_the_two_spellings_of_the_access_token_type_are_accepted(
    issuer: LocalIssuer, verifier: TokenVerifier, typ: str
) -> None:
    with pytest.raises(InvalidTokenError, match="not an access token"):
        await verifier.verify(issuer.mint(headers={"typ": typ}))


async def test_a_critical_header_naming_only_known_parameters_is_still_refused(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    # RFC 7515 §4.1.11: `crit` may not list registered parameters; we implement no extension.
    with pytest.raises(InvalidTokenError, match="critical"):
        await verifier.verify(issuer.mint(headers={"crit": ["kid"]}))


async def test_a_token_is_expired_from_the_very_second_of_exp_plus_leeway(
    issuer: LocalIssuer, keys: JWKSCache
) -> None:
    # RFC 7519 §4.1.4: "on or after" exp it is expired; python-jose alone allows that second.
    exp = int(time.time()) + 600
    token = issuer.mint(exp=exp)

    def verifier_at(moment: float) -> TokenVerifier:
        return TokenVerifier(keys, issuer=issuer.issuer, audience=issuer.audience,
                             leeway=30, clock=lambda: moment)  # fmt: skip

    assert (await verifier_at(exp + 29.999).verify(token)).sub == "user-1"
    with pytest.raises(TokenExpiredError):
        await verifier_at(exp + 30).verify(token)


async def test_a_token_not_valid_before_a_future_time_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    now = int(time.time())
    token = issuer.mint(nbf=now + 120, exp=now + 900)

    with pytest.raises(InvalidTokenError, match="not yet valid"):
        await verifier.verify(token)


@pytest.mark.parametrize(
    "garbage", ["", "not-a-token", "a.b.c", "e30.e30.", "eyJhbGciOiJSUzI1NiJ9.%%%.sig"]
)
async def test_garbage_is_refused_as_malformed(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(InvalidTokenError):
        await verifier.verify(garbage)


async def test_a_token_whose_scope_claim_is_not_text_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    with pytest.raises(InvalidTokenError, match="scope"):
        await verifier.verify(issuer.mint(scope={"admin": True}))


def test_a_verifier_cannot_be_configured_for_symmetric_or_no_signatures(
    issuer: LocalIssuer, keys: JWKSCache
) -> None:
    for algorithms in (["HS256"], ["RS256", "none"]):
        with pytest.raises(ValueError, match="asymmetric"):
            TokenVerifier(
                keys,
                issuer=issuer.issuer,
                audience=issuer.audience,
                algorithms=algorithms,
            )


@pytest.mark.parametrize(
    "headers",
    [{"alg": ["RS256"]}, {"kid": ["a", "b"]}, {"typ": 7}, {"crit": 5}, {"crit": []}],
)
async def test_a_header_with_odd_types_is_refused_cleanly(
    issuer: LocalIssuer, verifier: TokenVerifier, headers: dict[str, Any]
) -> None:
    header = {"alg": "RS256", "typ": "at+jwt", "kid": issuer.signing_key.kid, **headers}
    token = _segments(header, issuer.claims()) + ".c2ln"

    with pytest.raises(InvalidTokenError):
        await verifier.verify(token)


@pytest.mark.parametrize("claims", [{"exp": [1]}, {"nbf": {"a": 1}}, {"iat": "soon"}])
async def test_signed_claims_of_odd_types_are_refused_cleanly(
    issuer: LocalIssuer, verifier: TokenVerifier, claims: dict[str, Any]
) -> None:
    with pytest.raises(InvalidTokenError):
        await verifier.verify(issuer.mint(**claims))


@pytest.mark.parametrize("spoil", ["!", "!!!!", "====", "    ", "\n\n\n\n", "+/+/"])
async def test_a_token_has_one_spelling_a_stray_character_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier, spoil: str
) -> None:
    """base64url as RFC 7515 writes it: a character outside its alphabet (or padding) is an
    error, not skipped, so a valid token with a character added is not also valid."""
    token = issuer.mint()
    assert (await verifier.verify(token)).sub
    header, claims, signature = token.split(".")

    for spoiled in (
        f"{header}.{claims}.{signature[:10]}{spoil}{signature[10:]}",
        f"{header}.{claims[:5]}{spoil}{claims[5:]}.{signature}",
    ):
        with pytest.raises(InvalidTokenError, match="malformed"):
            await verifier.verify(spoiled)


@pytest.mark.parametrize("data", [b"", b"\xff", b"\xfb\xff", b"\x00\x01\x02", bytes(range(256))])
def test_base64url_has_one_unpadded_spelling_both_ways(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert b64url_decode(encoded) == data
