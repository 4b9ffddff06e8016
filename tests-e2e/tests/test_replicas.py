"""Two replicas of each service behind the gateway, as
`GATEHOUSE_AUTH_REPLICAS=2 GATEHOUSE_RESOURCE_REPLICAS=2 make run` starts them: both
serve, a stopped replica leaves the rotation without costing a request, and it comes
back when started again."""

from __future__ import annotations

import uuid

import httpx
from tests_e2e.stacks import RunningStack, served_by
from tests_e2e.waiting import wait_until

PASSWORD = "a perfectly fine e2e passphrase"
DISCOVERY = "/api/auth/.well-known/openid-configuration"


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
    assert set(served_by(replica_stack, DISCOVERY) - before_auth) == {"auth", "auth-2"}
    resource = served_by(replica_stack, "/api/resource/me") - before_resource
    assert set(resource) == {"resource", "resource-2"}


def test_a_stopped_replica_leaves_the_rotation_and_comes_back(
    replica_stack: RunningStack,
) -> None:
    stack = replica_stack.stack
    with replica_stack.client() as client:
        bearer = signed_up(client)
        log_offset = len(replica_stack.log_file.read_text(errors="replace"))
        stack.stop_replica("auth-2")
        stack.stop_replica("resource-2")
        try:
            # Reads keep working at once: a refused connection is retried on the other.
            for _ in range(30):
                assert client.get(DISCOVERY).status_code == 200
                me = client.get("/api/resource/me", headers=bearer)
                assert me.status_code == 200, me.text
            # Once the health check has seen it gone, writes never meet it either.
            wait_until(
                lambda: _health_check_noticed(replica_stack, log_offset), what="the health check"
            )
            for n in range(10):
                note = client.post(
                    "/api/resource/notes", headers=bearer, json={"title": f"n{n}", "body": ""}
                )
                assert note.status_code == 201, note.text
        finally:
            stack.start_replica("auth-2")
            stack.start_replica("resource-2")

        before = served_by(replica_stack, DISCOVERY)

        def auth_2_serves_again() -> bool:
            assert client.get(DISCOVERY).status_code == 200
            return (served_by(replica_stack, DISCOVERY) - before)["auth-2"] > 0

        wait_until(auth_2_serves_again, what="auth-2 back in the rotation", timeout=30)


def _health_check_noticed(running: RunningStack, offset: int) -> bool:
    """Traefik logged a failed health check of both stopped replicas since `offset`."""
    since = running.log_file.read_text(errors="replace")[offset:].splitlines()
    failed = [line for line in since if "Health check failed" in line]
    settings = running.settings
    stopped = [settings.replica_ports("auth")[1], settings.replica_ports("resource")[1]]
    return all(
        any(f"targetURL=http://127.0.0.1:{port}" in line for line in failed) for port in stopped
    )
