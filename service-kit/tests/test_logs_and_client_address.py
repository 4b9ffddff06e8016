"""Client addresses behind a proxy, and JSON log lines stamped with the request id."""

from __future__ import annotations

import ipaddress
import json
import logging

from auth_client.requestid import request_id_var
from service_kit.logs import JsonFormatter
from service_kit.observability import forwarded_client_ip

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32")]


def _scope(peer: str, forwarded: str | None = None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 1234), "headers": headers}


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    assert forwarded_client_ip(_scope("127.0.0.1", "203.0.113.9"), LOOPBACK) == "203.0.113.9"
    assert forwarded_client_ip(_scope("198.51.100.1", "203.0.113.9"), LOOPBACK) == "198.51.100.1"
    # A client prepending its own fake hop does not move the address the proxy appended.
    spoofed = _scope("127.0.0.1", "1.2.3.4, 203.0.113.9")
    assert forwarded_client_ip(spoofed, LOOPBACK) == "203.0.113.9"
    assert forwarded_client_ip(_scope("127.0.0.1", "not-an-ip"), LOOPBACK) == "not-an-ip"
    assert forwarded_client_ip(_scope("127.0.0.1"), LOOPBACK) == "127.0.0.1"


def test_log_lines_are_json_with_the_request_id_and_extras() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.route = "/x"
    token = request_id_var.set("req-1")
    try:
        line = json.loads(JsonFormatter("svc-name").format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello you" and line["request_id"] == "req-1"
    assert line["service"] == "svc-name" and line["route"] == "/x" and line["level"] == "info"
