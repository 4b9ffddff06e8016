"""One address, one account, however it is spelt: every look-up compares one key
(`users.addresses.email_key`), never PostgreSQL's lower() against Python's."""

from __future__ import annotations

import pytest
from auth_service.users.addresses import email_key

from tests.helpers import PASSWORD, assert_problem, log_in, sign_up

DOTTED_I = "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}nfo@example.org"  # İnfo
I_AND_DOT = "i\N{COMBINING DOT ABOVE}nfo@example.org"  # i̇nfo, two code points
SIGMA_CAPITALS = "\u03a3\u039f\u03a6\u0399\u0391\u03a3@example.org"  # capitals, two sigmas
SIGMA_FINAL = "\u03c3\u03bf\u03c6\u03b9\u03b1\u03c2@example.org"  # small, a final sigma
SIGMA_SMALL = "\u03c3\u03bf\u03c6\u03b9\u03b1\u03c3@example.org"  # small, no final form


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (DOTTED_I, I_AND_DOT),
        (SIGMA_CAPITALS, SIGMA_FINAL),
        (SIGMA_CAPITALS, SIGMA_SMALL),
        ("Ann@Example.ORG", "ann@example.org"),
        ("\N{FULLWIDTH LATIN SMALL LETTER A}nn@example.org", "ann@example.org"),
        ("ann@b\N{LATIN SMALL LETTER U WITH DIAERESIS}cher.de", "ann@xn--bcher-kva.de"),
    ],
)
def test_spellings_of_one_address_have_one_key(one: str, other: str) -> None:
    assert email_key(one) == email_key(other)


def test_different_addresses_have_different_keys() -> None:
    assert email_key("ann@example.org") != email_key("anne@example.org")
    assert email_key(DOTTED_I) != email_key("info@example.org")  # a dot is a letter here


@pytest.mark.parametrize(
    ("first", "variant"), [(DOTTED_I, I_AND_DOT), (SIGMA_CAPITALS, SIGMA_FINAL)]
)
async def test_sign_up_with_a_unicode_variant_of_a_taken_address_is_email_taken(
    make_client, db, first: str, variant: str
) -> None:
    async with make_client(smtp_utf8=True) as client:
        await sign_up(client, first)
        again = await client.post("/api/auth/signup", json={"email": variant, "password": PASSWORD})
        assert_problem(again, 409, "email_taken")
        await log_in(client, variant)  # the one account, by its other spelling
    assert await db.fetchval("SELECT count(*) FROM users") == 1


async def test_forgot_password_finds_the_account_by_any_spelling(make_client, db) -> None:
    async with make_client(smtp_utf8=True) as client:
        await sign_up(client, DOTTED_I)
        answer = await client.post("/api/auth/password/forgot", json={"email": I_AND_DOT})
        assert answer.status_code == 202
    queued = await db.fetch("SELECT to_address FROM mail_outbox WHERE kind = 'reset_password'")
    assert [row["to_address"] for row in queued] == [DOTTED_I]  # to the account's address


async def test_an_email_change_to_a_variant_of_a_taken_address_is_email_taken(make_client) -> None:
    async with make_client(smtp_utf8=True) as client:
        await sign_up(client, SIGMA_CAPITALS)
        login = await sign_up(client, "ann@example.org")
        answer = await client.post(
            "/api/auth/email/change",
            json={"new_email": SIGMA_FINAL, "password": PASSWORD},
            headers=login.bearer,
        )
    assert_problem(answer, 409, "email_taken")


async def test_the_stored_key_is_the_services_own(make_client, db) -> None:
    async with make_client(smtp_utf8=True) as client:
        await sign_up(client, SIGMA_CAPITALS)
    row = await db.fetchrow("SELECT email, email_key FROM users")
    assert row["email"] == SIGMA_CAPITALS  # shown as typed
    assert row["email_key"] == email_key(SIGMA_FINAL)
