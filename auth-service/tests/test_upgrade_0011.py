"""A database of revision 0010, with two accounts for one address (made while PostgreSQL's
lower() and Python's str.lower() disagreed), upgraded to one key per address."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from auth_service.migrations import upgrade
from auth_service.users.addresses import email_key

from tests.helpers import PASSWORD, assert_problem

DOTTED_I = "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}nfo@example.org"
I_AND_DOT = "i\N{COMBINING DOT ABOVE}nfo@example.org"


async def test_an_0010_database_gets_one_key_per_address_and_settles_duplicates(
    postgres_server, make_client
) -> None:
    name = f"upgrade_{uuid.uuid4().hex[:8]}"
    postgres_server.create_database(name)
    url = postgres_server.url(name)
    await asyncio.to_thread(upgrade, url, "0010_passkeys")
    older, verified, ann = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    db = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await db.executemany(
            "INSERT INTO users (id, email, password_hash, email_verified, roles, created_at,"
            " updated_at) VALUES ($1, $2, 'x', $3, '{}', now() - make_interval(days => $4), now())",
            [
                (older, DOTTED_I, False, 2),
                (verified, I_AND_DOT, True, 1),
                (ann, "Ann@example.org", False, 3),
            ],
        )
        await asyncio.to_thread(upgrade, url)
        keys = {r["id"]: r["email_key"] for r in await db.fetch("SELECT id, email_key FROM users")}
        emails = {r["id"]: r["email"] for r in await db.fetch("SELECT id, email FROM users")}
        indexes = await db.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'users'")
    finally:
        await db.close()
    # The verified account keeps the address; the other one keeps its row and its email.
    assert keys[verified] == email_key(DOTTED_I) == email_key(I_AND_DOT)
    assert keys[older] == f"duplicate {older}: {email_key(DOTTED_I)}"
    assert keys[ann] == "ann@example.org" and emails[ann] == "Ann@example.org"
    assert emails[older] == DOTTED_I
    names = {r["indexname"] for r in indexes}
    assert "ux_users_email_key" in names and "ux_users_email_lower" not in names

    async with make_client(database_url=url, smtp_utf8=True) as client:
        again = await client.post(
            "/api/auth/signup", json={"email": DOTTED_I, "password": PASSWORD}
        )
        assert_problem(again, 409, "email_taken")
        forgot = await client.post("/api/auth/password/forgot", json={"email": DOTTED_I})
        assert forgot.status_code == 202
    db = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        mailed = await db.fetch("SELECT to_address FROM mail_outbox WHERE kind = 'reset_password'")
    finally:
        await db.close()
    assert [row["to_address"] for row in mailed] == [I_AND_DOT]
