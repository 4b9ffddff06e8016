"""What a new address (sign-up, email change) must be: one the mail relay can take, and
no mixed-script look-alike of another address (README, "Decisions")."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, assert_problem, sign_up

NON_ASCII_LOCAL = "j\N{LATIN SMALL LETTER U WITH DIAERESIS}rgen@example.org"
CYRILLIC_A = "\N{CYRILLIC SMALL LETTER A}"
JAPANESE = "\u5c71\u7530\u305f\u308d\u3046@example.jp"  # Han and Hiragana: one writing system
GREEK = "\u03c3\u03bf\u03c6\u03b9\u03b1@example.org"


async def _sign_up(client, email: str):
    return await client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})


def _field_problem(response, field: str) -> str:
    body = assert_problem(response, 422, "validation_failed")
    (error,) = body["errors"]
    assert error["field"] == field
    return str(error["message"])


async def test_without_smtputf8_a_non_ascii_local_part_is_refused_at_sign_up_and_change(
    make_client,
) -> None:
    async with make_client() as client:
        refused = await _sign_up(client, NON_ASCII_LOCAL)
        login = await sign_up(client, "ann@example.org")
        change = await client.post(
            "/api/auth/email/change",
            json={"new_email": NON_ASCII_LOCAL, "password": PASSWORD},
            headers=login.bearer,
        )
        idn_domain = await _sign_up(client, "ann@b\N{LATIN SMALL LETTER U WITH DIAERESIS}cher.de")
    assert "non-ASCII" in _field_problem(refused, "email")
    assert "non-ASCII" in _field_problem(change, "new_email")
    assert idn_domain.status_code == 201  # sent in its ASCII form: any relay takes it


async def test_with_smtputf8_an_international_local_part_is_taken(make_client) -> None:
    async with make_client(smtp_utf8=True) as client:
        for email in (NON_ASCII_LOCAL, JAPANESE, GREEK):
            assert (await _sign_up(client, email)).status_code == 201, email


@pytest.mark.parametrize(
    ("email", "says"),
    [
        (f"{CYRILLIC_A}nn@example.org", "before the @ mixes alphabets"),
        (f"ann@ex{CYRILLIC_A}mple.org", "domain mixes alphabets"),
        (f"ann@pay{CYRILLIC_A}l.example.org", "domain mixes alphabets"),
    ],
)
async def test_a_mixed_script_look_alike_is_refused(make_client, email: str, says: str) -> None:
    async with make_client(smtp_utf8=True) as client:
        refused = await _sign_up(client, email)
    assert says in _field_problem(refused, "email")


async def test_a_domain_that_is_not_valid_idna_is_refused(make_client) -> None:
    async with make_client(smtp_utf8=True) as client:
        refused = await _sign_up(client, "ann@xn--a.org")
    assert_problem(refused, 422)
