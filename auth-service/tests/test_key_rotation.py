from __future__ import annotations

import asyncio
from datetime import timedelta

from auth_service.keys import service as keys
from auth_service.timeutil import utcnow

from tests.helpers import assert_problem, jwt_parts, refresh, registry, sign_up


async def _rotate(client, activate_in: float) -> str:
    ctx = registry(client)
    async with ctx.sessionmaker() as session, session.begin():
        key = await keys.rotate(
            session,
            ctx.keys._encryptor,
            2048,
            activate_in=activate_in,
            actor="test",
            access_token_ttl=ctx.settings.access_token_ttl,
            now=ctx.clock.now(),
        )
    await ctx.keys.reload()
    return key.kid


async def _jwks_kids(client) -> list[str]:
    return [k["kid"] for k in (await client.get("/api/auth/.well-known/jwks.json")).json()["keys"]]


async def test_a_rotated_key_is_published_before_it_signs(client) -> None:
    login = await sign_up(client, "ann@example.org")
    old_kid = jwt_parts(login.access_token)[0]["kid"]
    new_kid = await _rotate(client, activate_in=3600)
    assert set(await _jwks_kids(client)) == {old_kid, new_kid}
    # Still signing with the old key until the new one activates.
    fresh = await refresh(client, login.refresh_token)
    assert jwt_parts(fresh.json()["access_token"])[0]["kid"] == old_kid


async def test_after_activation_the_new_key_signs_and_old_tokens_still_verify(
    client, clock
) -> None:
    login = await sign_up(client, "ann@example.org")
    old_kid = jwt_parts(login.access_token)[0]["kid"]
    new_kid = await _rotate(client, activate_in=0.5)
    clock.advance(0.6)
    fresh = await refresh(client, login.refresh_token)
    assert jwt_parts(fresh.json()["access_token"])[0]["kid"] == new_kid
    assert (await client.get("/api/auth/me", headers=login.bearer)).status_code == 200
    assert set(await _jwks_kids(client)) == {old_kid, new_kid}


async def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(client) -> None:
    login = await sign_up(client, "ann@example.org")
    old_kid = jwt_parts(login.access_token)[0]["kid"]
    await _rotate(client, activate_in=0)
    ring = registry(client).keys.ring
    old = ring.access[old_kid]
    assert old.expires_at is not None
    assert old.expires_at >= utcnow() + timedelta(seconds=900)
    assert old_kid not in [k.kid for k in ring.published(old.expires_at + timedelta(seconds=1))]


async def test_tokens_keep_verifying_while_keys_rotate_under_traffic(client, clock) -> None:
    login = await sign_up(client, "ann@example.org")
    statuses: list[int] = []
    stop, round_done = asyncio.Event(), asyncio.Event()

    async def traffic() -> None:
        token = login.refresh_token
        while not stop.is_set():
            response = await refresh(client, token)
            statuses.append(response.status_code)
            token = response.cookies.get("refresh_token") or token
            bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
            statuses.append((await client.get("/api/auth/me", headers=bearer)).status_code)
            round_done.set()

    async def a_few_rounds() -> None:  # of the traffic, under the keys as they now are
        for _ in range(3):
            round_done.clear()
            await asyncio.wait_for(round_done.wait(), timeout=30)

    runner = asyncio.create_task(traffic())
    for _ in range(3):
        await _rotate(client, activate_in=0.2)
        await a_few_rounds()  # the old key still signs
        clock.advance(0.3)
        await a_few_rounds()  # the new one does
    stop.set()
    await runner
    assert len(statuses) > 10
    assert set(statuses) == {200}


async def test_a_revoked_key_leaves_the_jwks_at_once_and_a_new_key_signs(client, db) -> None:
    login = await sign_up(client, "ann@example.org")
    old_kid = jwt_parts(login.access_token)[0]["kid"]
    ctx = registry(client)
    async with ctx.sessionmaker() as session, session.begin():
        new = await keys.revoke(
            session, ctx.keys._encryptor, 2048, old_kid, actor="test", now=ctx.clock.now()
        )
    await ctx.keys.reload()
    assert new is not None
    assert await _jwks_kids(client) == [new.kid]
    assert_problem(await client.get("/api/auth/me", headers=login.bearer), 401, "invalid_token")
    fresh = await refresh(client, login.refresh_token)
    assert jwt_parts(fresh.json()["access_token"])[0]["kid"] == new.kid
    event = await db.fetchrow("SELECT actor, subject FROM audit_events WHERE event = 'key_revoked'")
    assert dict(event) == {"actor": "test", "subject": old_kid}
