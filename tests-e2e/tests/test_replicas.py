"""Two replicas of each service behind the gateway, as
`GATEHOUSE_AUTH_REPLICAS=2 GATEHOUSE_RESOURCE_REPLICAS=2 make run` starts them: both
serve, a stopped replica leaves the rotation without costing a request, and it comes
back when started again."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter

import httpx
from tests_e2e.rotation import kid_of, rotate_keys, user_traffic
from tests_e2e.stacks import RunningStack, served_by, served_since
from tests_e2e.waiting import wait_until

PASSWORD = "a perfectly fine e2e passphrase"
CLIENTS = 8
# Until the health check (every 0.5 s) sees a killed replica gone, Traefik still hands it
# requests; it retries those whose connection is refused, but not a POST.
DETECTION = 1.0
CSRF = {"X-Requested-With": "fetch"}
DISCOVERY = "/api/auth/.well-known/openid-configuration"
ROTATION_ACTIVATES_IN = 2


def signed_up(client: httpx.Client) -> dict[str, str]:
    email = f"replica-{uuid.uuid4().hex[:12]}@gatehouse.example"
    signup = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    return {"Authorization": f"Bearer {signup.json()['access_token']}"}


def test_every_replica_of_each_service_serves_through_the_gateway(
    replica_stack: RunningStack,
) -> None:
    before_auth = served_by(replica_stack, DISCOVERY)
    before_resource = served_by(replica_stack, "/api/resource/me")
    with replica_stack.client() as client:
        bearer = signed_up(client)
        for _ in range(20):
            assert client.get(DISCOVERY).status_code == 200
            me = client.get("/api/resource/me", headers=bearer)
            assert me.status_code == 200, me.text
    assert set(served_since(replica_stack, DISCOVERY, before_auth, 20)) == {"auth", "auth-2"}
    resource = served_since(replica_stack, "/api/resource/me", before_resource, 20)
    assert set(resource) == {"resource", "resource-2"}


def test_a_stopped_replica_leaves_the_rotation_and_comes_back(
    replica_stack: RunningStack,
) -> None:
    stack = replica_stack.stack
    second = {
        service: f"http://127.0.0.1:{replica_stack.settings.replica_ports(service)[1]}"
        for service in ("auth", "resource")
    }
    with replica_stack.client() as client:
        bearer = signed_up(client)
        stack.stop_replica("auth-2")
        stack.stop_replica("resource-2")
        try:
            # Reads keep working at once: a refused connection is retried on the other.
            for _ in range(30):
                assert client.get(DISCOVERY).status_code == 200
                me = client.get("/api/resource/me", headers=bearer)
                assert me.status_code == 200, me.text
            # Once the health check has seen them gone, writes never meet them either.
            wait_until(
                lambda: all(stack.gateway_sees(s).get(url) == "DOWN" for s, url in second.items()),
                what="the gateway's health check to see both stopped replicas down",
            )
            for n in range(10):
                note = client.post(
                    "/api/resource/notes", headers=bearer, json={"title": f"n{n}", "body": ""}
                )
                assert note.status_code == 201, note.text
        finally:
            stack.start_replica("auth-2")
            stack.start_replica("resource-2")
        assert all(stack.gateway_sees(s).get(url) == "UP" for s, url in second.items())

        before = served_by(replica_stack, DISCOVERY)
        for _ in range(10):
            assert client.get(DISCOVERY).status_code == 200
        assert served_since(replica_stack, DISCOVERY, before, 10)["auth-2"] > 0


def test_the_failed_log_in_limit_holds_across_replicas(replica_stack: RunningStack) -> None:
    before = served_by(replica_stack, "/api/auth/login")
    with replica_stack.client() as client:
        email = f"limit-{uuid.uuid4().hex[:12]}@gatehouse.example"
        signup = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        wrong = {"email": email, "password": "not the password at all"}
        statuses = [client.post("/api/auth/login", json=wrong).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        # AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT=3, counted in Redis whichever replica answered.
        right = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert right.status_code == 429, right.text
        assert int(right.headers["retry-after"]) > 0
    served = served_since(replica_stack, "/api/auth/login", before, 4)
    assert set(served) == {"auth", "auth-2"} and sum(served.values()) == 4, served


async def test_a_key_rotated_through_the_cli_signs_on_every_replica_with_no_401(
    replica_stack: RunningStack,
) -> None:
    s = replica_stack.settings
    served_before = served_by(replica_stack)
    async with httpx.AsyncClient(timeout=30) as direct:
        before = await direct.get(f"{replica_stack.base_url}/api/auth/.well-known/jwks.json")
        async with user_traffic(replica_stack, users=3) as traffic:
            await asyncio.sleep(1)
            await asyncio.to_thread(rotate_keys, replica_stack, ROTATION_ACTIVATES_IN)
            # Active, reloaded by both auth replicas, fetched by both resource replicas.
            await asyncio.sleep(ROTATION_ACTIVATES_IN + 3)
            # Each auth replica now signs with the new key; each resource replica accepts it.
            kids = set()
            for auth_port in s.replica_ports("auth"):
                email = f"direct-{uuid.uuid4().hex[:10]}@gatehouse.example"
                signup = await direct.post(
                    f"http://127.0.0.1:{auth_port}/api/auth/signup",
                    json={"email": email, "password": PASSWORD},
                )
                assert signup.status_code == 201, signup.text
                token = signup.json()["access_token"]
                kids.add(kid_of(token))
                for resource_port in s.replica_ports("resource"):
                    me = await direct.get(
                        f"http://127.0.0.1:{resource_port}/api/resource/me",
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert me.status_code == 200, (auth_port, resource_port, me.text)
        jwks = (await direct.get(f"{replica_stack.base_url}/api/auth/.well-known/jwks.json")).json()
    old_kids = {key["kid"] for key in before.json()["keys"]}
    assert len(kids) == 1, kids  # both replicas sign with the same key…
    assert kids <= {key["kid"] for key in jwks["keys"]}
    assert not kids & old_kids  # …the one the CLI made
    assert len(jwks["keys"]) >= 2  # the old key stays published for its tokens
    # The users' tokens were signed by both keys, through both auth replicas, and every
    # one of them was accepted by both resource replicas: no 401 anywhere.
    assert traffic.kids & old_kids and traffic.kids & kids, traffic.kids
    statuses = traffic.statuses
    assert sum(statuses.values()) > 20
    assert dict(statuses) == {200: sum(statuses.values())}
    served = served_since(replica_stack, None, served_before, sum(statuses.values()))
    assert {"auth", "auth-2", "resource", "resource-2"} <= set(served), served


async def test_an_auth_replica_killed_under_load_costs_only_requests_it_was_serving(
    replica_stack: RunningStack,
) -> None:
    """SIGKILL, not a clean stop, under CLIENTS clients each with one request at a time.
    What may fail (a 502 from the gateway): the requests the replica was answering (at most
    one per client), and those Traefik handed it before its sockets were gone and its
    health check saw it down (within DETECTION). Traefik retries a request on the other
    replica only when it could not send it at all (a refused connection); once it has
    written a request to a replica (on a kept-alive connection, or one the dying process's
    socket still accepted) it cannot tell whether the replica carried it out, so it answers
    502 rather than replay it, for a GET as for a POST: only requests in flight or sent
    just after the kill may fail. Nothing sent later fails."""
    stack = replica_stack.stack
    outcomes: Counter[str] = Counter()
    failures: list[tuple[str, float]] = []  # (method, sent - killed_at in s; < 0: in flight)
    killed_at = float("inf")
    stop = asyncio.Event()

    async def user(http: httpx.AsyncClient) -> None:
        email = f"kill-{uuid.uuid4().hex[:10]}@gatehouse.example"
        signup = await http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        bearer = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        while not stop.is_set():
            for method, path, headers in (
                ("POST", "/api/auth/refresh", CSRF),
                ("GET", "/api/auth/me", bearer),
                ("GET", DISCOVERY, {}),
            ):
                sent = time.monotonic()
                answer = await http.request(method, path, headers=headers)
                outcomes[f"{method} {answer.status_code}"] += 1
                if answer.status_code >= 500:
                    failures.append((method, sent - killed_at))
                if path == "/api/auth/refresh" and answer.status_code == 200:
                    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    base_url = replica_stack.base_url
    clients = [httpx.AsyncClient(base_url=base_url, timeout=30) for _ in range(CLIENTS)]
    try:
        users = [asyncio.create_task(user(client)) for client in clients]
        await asyncio.sleep(2)
        victim = stack.children["auth-2"].process
        assert victim is not None
        os.killpg(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        await asyncio.sleep(4)  # the health check notices within a second
        stop.set()
        await asyncio.gather(*users)
    finally:
        for client in clients:
            await client.aclose()
        # What `make run` does every half second: start again what exited on its own.
        revived = stack.revive_replicas()
    assert revived == ["auth-2"]
    second = f"http://127.0.0.1:{replica_stack.settings.replica_ports('auth')[1]}"
    wait_until(lambda: stack.gateway_sees("auth").get(second) == "UP", what="auth-2 revived")

    in_flight = [method for method, sent in failures if sent < 0]
    handed_after = [(method, round(sent, 3)) for method, sent in failures if sent >= 0]
    print(
        f"\nauth-2 killed under {CLIENTS} clients: {dict(outcomes)}; lost in flight: "
        f"{len(in_flight)} {in_flight}; lost, sent after the kill: {handed_after}"
    )
    assert len(in_flight) <= CLIENTS
    assert all(sent < DETECTION for _, sent in handed_after), handed_after
    assert sum(outcomes.values()) > 100
