"""The periodic prune also clears what the OpenID Provider leaves behind: authorization
codes, authorization requests and pushed requests past their life."""

from __future__ import annotations

import asyncio

from auth_service.oauth.codes import CODE_TTL
from auth_service.oidc.requests import REQUEST_TTL

from tests.oidc_flow import ADMIN, Flow, code_for, exchange, person, register_app, start

COUNTS = "SELECT (SELECT count(*) FROM oidc_codes), (SELECT count(*) FROM oidc_requests)"


async def _push(app, flow: Flow) -> None:
    pushed = await app.post("/api/auth/oauth/par", data=flow.params())
    assert pushed.status_code == 201, pushed.text


async def test_the_periodic_prune_deletes_expired_codes_and_requests_and_keeps_live_ones(
    make_client, db, clock
) -> None:
    async with make_client(**ADMIN, revocation_prune_interval=0.05) as app:
        created = await register_app(app, first_party=True)
        flow = Flow(created["client_id"])
        await code_for(app, flow, await person(app))  # a code nobody exchanges
        await start(app, flow.params())  # a request the person never answers
        await _push(app, flow)  # a pushed request never used
        assert tuple(await db.fetchrow(COUNTS)) == (1, 2)

        # Past a code's day of grace (a late reuse is recognised that long) and a request's life.
        clock.advance((CODE_TTL + REQUEST_TTL).total_seconds() + 86_400 + 1)
        fresh = Flow(created["client_id"])
        live = (await code_for(app, fresh, await person(app, "bo@example.org")))["code"]
        await start(app, fresh.params())

        for _ in range(200):  # the next prune run deletes the expired ones
            if tuple(await db.fetchrow(COUNTS)) == (1, 1):
                break
            await asyncio.sleep(0.05)
        assert tuple(await db.fetchrow(COUNTS)) == (1, 1)
        done = await exchange(app, fresh, live)
        assert done.status_code == 200, done.text
