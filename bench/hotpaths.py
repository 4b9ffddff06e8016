"""Sequential log-ins and client-credentials grants in-process: the event loop's cost of one.

    python -m bench.hotpaths [--n 200] [--what logins|grants] [--profile]

As `bench.rotations`: its own throw-away PostgreSQL and Redis, the real app over an ASGI
transport, one request after the other. Prints requests/s and the CPU of the event loop's
thread per request (the password hash runs in threads of its own and is not counted: what
is left is what the loop pays for a log-in besides the hash). Asserts nothing.

To compare with another version of the service: `git archive <commit> auth-service/src |
tar -x -C /tmp/old` and `PYTHONPATH=/tmp/old/auth-service/src python -m bench.hotpaths`;
alternate the runs.
"""

from __future__ import annotations

import argparse
import base64
import time

import httpx
from asgi_lifespan import LifespanManager
from auth_service.app import create_app
from auth_service.config import Settings

from bench.inprocess import auth_stores, rate_and_latency, run

CLIENT, SECRET = "bench-client", "s" * 48


async def run_requests(settings: Settings, what: str, n: int) -> tuple[list[float], float]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8080") as c:
            body = {"email": "bench@example.org", "password": "lantern-quarry-47"}
            (await c.post("/api/auth/signup", json=body)).raise_for_status()
            basic = base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
            timings, loop_cpu = [], 0.0
            for i in range(n + 5):
                cpu, start = time.thread_time(), time.perf_counter()
                if what == "logins":
                    response = await c.post(
                        "/api/auth/login", json=body, headers={"X-Requested-With": "bench"}
                    )
                else:
                    response = await c.post(
                        "/api/auth/oauth/token",
                        data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"},
                    )
                if response.status_code != 200:
                    raise RuntimeError(response.text)
                if i >= 5:  # warm-up left out
                    timings.append(time.perf_counter() - start)
                    loop_cpu += time.thread_time() - cpu
            return timings, loop_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--what", choices=["logins", "grants"], default="logins")
    parser.add_argument("--profile", action="store_true", help="cProfile the requests")
    args = parser.parse_args()
    with auth_stores() as (database_url, redis_url):
        settings = Settings(
            database_url=database_url,
            redis_url=redis_url,
            access_log=False,
            dev_mode=True,
            bootstrap_client_id=CLIENT,
            bootstrap_client_secret=SECRET,
            login_max_failures_per_ip=10**6,
        )
        benchmark = run_requests(settings, args.what, args.n)
        timings, cpu = run(benchmark, profile=args.profile, sort="cumtime")
    print(
        f"{args.n} sequential {args.what}: {rate_and_latency(timings)}; "
        f"{cpu * 1e6 / args.n:.0f} us of the event loop's CPU each (client included)"
    )


if __name__ == "__main__":
    main()
