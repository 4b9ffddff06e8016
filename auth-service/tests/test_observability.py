from __future__ import annotations

import json
import logging

from tests.helpers import PASSWORD, refresh, sign_up


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            metric, value = line.rsplit(" ", 1)
            got = metric[metric.find("{") + 1 : metric.rfind("}")] if "{" in metric else ""
            if ",".join(sorted(got.split(","))) == wanted:
                return float(value)
    return 0.0


async def test_metrics_count_requests_refresh_outcomes_logins_and_key_ages(make_client) -> None:
    async with make_client(login_max_failures_per_account=2) as client:
        login = await sign_up(client, "ann@example.org")
        await refresh(client, login.refresh_token)
        await refresh(client, login.refresh_token)  # grace replay
        await refresh(client, "garbage")
        for _ in range(3):
            await client.post(
                "/api/auth/login", json={"email": "ann@example.org", "password": "nope-nope"}
            )
        text = (await client.get("/metrics")).text
    assert _metric(text, "gatehouse_refresh_outcomes_total", outcome="rotated") == 1
    assert _metric(text, "gatehouse_refresh_outcomes_total", outcome="grace_replay") == 1
    assert _metric(text, "gatehouse_refresh_outcomes_total", outcome="invalid") == 1
    assert _metric(text, "gatehouse_logins_total", result="failed") == 2
    assert _metric(text, "gatehouse_rate_limited_total", limit="login_account_address") == 1
    assert (
        _metric(
            text,
            "gatehouse_http_requests_total",
            method="POST",
            route="/api/auth/refresh",
            status="200",
        )
        == 2
    )
    assert (
        _metric(
            text,
            "gatehouse_http_request_duration_seconds_count",
            method="POST",
            route="/api/auth/signup",
        )
        == 1
    )
    assert "gatehouse_signing_key_age_seconds{" in text


async def test_metrics_labels_stay_bounded_for_unknown_paths(client) -> None:
    for index in range(5):
        await client.get(f"/api/auth/no-such-thing-{index}")
    text = (await client.get("/metrics")).text
    assert "no-such-thing" not in text
    assert (
        _metric(
            text, "gatehouse_http_requests_total", method="GET", route="unmatched", status="404"
        )
        == 5
    )


async def test_metrics_are_outside_the_public_api_prefix(client) -> None:
    assert (await client.get("/api/auth/metrics")).status_code == 404
    assert (await client.get("/metrics")).status_code == 200


async def test_request_id_is_taken_from_the_edge_or_made_and_returned(client, caplog) -> None:
    with caplog.at_level(logging.INFO):
        given = await client.get("/api/auth/healthz", headers={"X-Request-ID": "edge-123"})
        made = await client.get("/api/auth/healthz")
        hostile = await client.get("/api/auth/healthz", headers={"X-Request-ID": "a b\x7f" * 50})
    assert given.headers["x-request-id"] == "edge-123"
    assert len(made.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "a b\x7f" * 50


async def test_log_lines_are_json_with_the_request_id(client, capsys) -> None:
    await client.post(
        "/api/auth/login",
        json={"email": "x@example.org", "password": "wrong-pw-1"},
        headers={"X-Request-ID": "trace-42"},
    )
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    mine = [line for line in lines if line.get("request_id") == "trace-42"]
    assert {line["logger"] for line in mine} >= {"auth_service.auth", "gatehouse.access"}
    access = next(line for line in mine if line["logger"] == "gatehouse.access")
    assert access["route"] == "/api/auth/login" and access["status"] == 401
    assert access["service"] == "auth-service"


async def test_no_token_password_or_cookie_reaches_the_logs(client, capsys) -> None:
    login = await sign_up(client, "ann@example.org")
    rotated = await refresh(client, login.refresh_token)
    await client.get("/api/auth/me", headers=login.bearer)
    await client.post(
        "/api/auth/logout",
        headers={"X-Requested-With": "x", "Cookie": f"refresh_token={login.refresh_token}"},
    )
    await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": "typo-" + PASSWORD}
    )
    output = capsys.readouterr().err
    assert output.count("\n") > 5
    for secret in (
        login.access_token,
        login.refresh_token,
        rotated.json()["access_token"],
        PASSWORD,
        "typo-" + PASSWORD,
        login.access_token.split(".")[2],
    ):
        assert secret not in output
