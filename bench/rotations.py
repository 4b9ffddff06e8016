"""Sequential refresh-token rotations in-process: the cost of one `POST /refresh`.

    python -m bench.rotations [--n 500]

Starts its own throw-away PostgreSQL and Redis, the real app (lifespan included) over an
ASGI transport, signs up one user and rotates its refresh token N times, one after the
other. Prints rotations/s and the median and p95 latency; asserts nothing.

To compare with another version of the service, put its `src` first on the path:
`git archive <commit> auth-service/src | tar -x -C /tmp/old` and
`PYTHONPATH=/tmp/old/auth-service/src python -m bench.rotations`; alternate the runs.
"""

from __future__ import annotations

import argparse
import time
from http.cookies import SimpleCookie

import httpx
from asgi_lifespan import LifespanManager
from auth_service.app import create_app
from auth_service.config import Settings

from bench.inprocess import auth_stores, rate_and_latency, run


def _cookie(response: httpx.Response) -> str:
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if "refresh_token" in jar:
            return jar["refresh_token"].value
    raise RuntimeError(response.text)


async def rotate(settings: Settings, n: int) -> list[float]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8080") as c:
            body = {"email": "bench@example.org", "password": "lantern-quarry-47"}
            token = _cookie(await c.post("/api/auth/signup", json=body))
            timings = []
            for _ in range(n):
                start = time.perf_counter()
                response = await c.post(
                    "/api/auth/refresh",
                    headers={"X-Requested-With": "bench", "Cookie": f"refresh_token={token}"},
                )
                timings.append(time.perf_counter() - start)
                token = _cookie(response)
            return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="cProfile the rotations")
    args = parser.parse_args()
    with auth_stores() as (database_url, redis_url):
        settings = Settings(
            database_url=database_url, redis_url=redis_url, access_log=False, dev_mode=True
        )
        cpu = time.process_time()
        timings = run(rotate(settings, args.n), profile=args.profile, sort="tottime")
        cpu = time.process_time() - cpu
    print(
        f"{args.n} sequential rotations: {rate_and_latency(timings)}; "
        f"{cpu * 1e6 / args.n:.0f} us of this process's CPU per rotation (client included)"
    )


if __name__ == "__main__":
    main()
