"""The OpenID Provider's endpoints under overload (authorize, the decision, the code
exchange, userinfo): with every pooled connection busy they answer like the rest of the
service (service_kit's PoolTimeout handler), 503 `overloaded` with Retry-After, not 500."""

from __future__ import annotations

from tests.helpers import assert_problem, registry
from tests.oidc_flow import ADMIN, AUTHORIZE, Flow, code_for, exchange, person, register_app, start

USERINFO = "/api/auth/oauth/userinfo"


async def test_an_exhausted_pool_is_a_503_with_retry_after_at_the_oidc_endpoints(
    make_client,
) -> None:
    async with make_client(**ADMIN, database_pool_size=1, database_pool_timeout=0.2) as app:
        created = await register_app(app)
        flow, login = Flow(created["client_id"]), await person(app)
        code = (await code_for(app, flow, login))["code"]
        later = Flow(created["client_id"])
        spare = (await code_for(app, later, login))["code"]
        access = (await exchange(app, later, spare)).json()["access_token"]
        pending = await start(app, Flow(created["client_id"]).params())
        engine = registry(app).engine
        async with engine.connect() as first, engine.connect() as second:  # 1 + 1 overflow
            await first.exec_driver_sql("SELECT 1")
            await second.exec_driver_sql("SELECT 1")
            answers = [
                await app.get(AUTHORIZE, params=Flow(created["client_id"]).params()),
                await app.post(f"{AUTHORIZE}/{pending}", json={}, headers=login.bearer),
                await exchange(app, flow, code),
                await app.get(USERINFO, headers={"Authorization": f"Bearer {access}"}),
            ]
            for answer in answers:
                body = assert_problem(answer, 503, "overloaded")
                assert int(answer.headers["retry-after"]) >= 1
                assert "Traceback" not in body["detail"]
        # Connections back in the pool: the same code is still good (nothing was spent).
        done = await exchange(app, flow, code)
        assert done.status_code == 200, done.text
