"""Client addresses behind a proxy, and log lines stamped with the request id: JSON for
machines, one readable line per event in a terminal."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import pty
import re
import subprocess
import sys

import pytest
from pydantic import ValidationError
from service_kit.logs import JsonFormatter, TextFormatter
from service_kit.observability import forwarded_client_ip
from service_kit.requestid import request_id_var
from service_kit.settings import ServiceSettings

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


def _logged_by_a_service(log_format: str, on_a_terminal: bool) -> str:
    """What a process that configured logging writes for one access line (and a warning),
    its standard error a pipe or a terminal (a pseudo-terminal)."""
    program = (
        "import logging\n"
        "from service_kit.logs import configure_logging\n"
        f"configure_logging('svc-name', 'INFO', {log_format!r})\n"
        "extra = {'method': 'GET', 'route': '/x', 'status': 200, 'duration_ms': 3.5}\n"
        "logging.getLogger('gatehouse.access').info('GET /x 200', extra=extra)\n"
        "logging.getLogger('svc').warning('a warning')\n"
    )
    command = [sys.executable, "-c", program]
    if not on_a_terminal:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
        return done.stderr
    leader, follower = pty.openpty()
    try:
        subprocess.run(command, stderr=follower, timeout=30, check=True)
        os.close(follower)
        output = b""
        with contextlib.suppress(OSError):  # EIO: the terminal's other side has closed
            while chunk := os.read(leader, 65536):
                output += chunk
    finally:
        os.close(leader)
    return output.decode().replace("\r\n", "\n")


def test_in_a_terminal_each_event_is_one_readable_line() -> None:
    access, warning = _logged_by_a_service("auto", on_a_terminal=True).splitlines()
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} INFO    gatehouse\.access: GET /x 200  duration_ms=3\.5", access
    ), access
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} WARNING svc: a warning", warning), warning


def test_without_a_terminal_or_when_asked_the_lines_are_json() -> None:
    piped = [json.loads(line) for line in _logged_by_a_service("auto", False).splitlines()]
    assert [(line["level"], line["msg"]) for line in piped] == [
        ("info", "GET /x 200"),
        ("warning", "a warning"),
    ]
    assert piped[0]["route"] == "/x" and piped[0]["service"] == "svc-name"
    asked = _logged_by_a_service("json", on_a_terminal=True).splitlines()
    assert [json.loads(line)["msg"] for line in asked] == ["GET /x 200", "a warning"]
    text = _logged_by_a_service("text", on_a_terminal=False)
    assert text.splitlines()[1].endswith("WARNING svc: a warning")


def test_the_text_line_keeps_the_request_id_and_a_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "svc", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info()
        )
    record.route = "/y"
    token = request_id_var.set("req-2")
    try:
        line = TextFormatter().format(record)
    finally:
        request_id_var.reset(token)
    first, *rest = line.splitlines()
    assert first.endswith("ERROR   svc: failed x  route=/y request_id=req-2"), first
    assert rest[0].startswith("Traceback") and rest[-1] == "ValueError: boom"


def test_the_log_format_setting_takes_only_auto_json_or_text() -> None:
    assert ServiceSettings(log_format="text").log_format == "text"
    assert ServiceSettings().log_format == "auto"
    with pytest.raises(ValidationError):
        ServiceSettings(log_format="yaml")  # type: ignore[arg-type]
