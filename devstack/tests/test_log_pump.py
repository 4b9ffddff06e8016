from __future__ import annotations

import io
import os

from devstack.processes import LogSink


def test_the_pump_copies_whole_prefixed_lines_in_order_however_the_pipe_splits_them() -> None:
    out = io.StringIO()
    sink = LogSink(out, width=4)
    read_end, write_end = os.pipe()
    thread = sink.pump("auth", os.fdopen(read_end, "rb"))
    for part in (b"first li", b"ne\nsecond\nthi", b"rd\n", b"x" * 70_000 + b"\n", b"no newline"):
        os.write(write_end, part)
    os.close(write_end)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert out.getvalue().splitlines() == [
        "auth | first line",
        "auth | second",
        "auth | third",
        "auth | " + "x" * 70_000,
        "auth | no newline",
    ]


def test_lines_of_two_processes_never_interleave_within_a_line() -> None:
    out = io.StringIO()
    sink = LogSink(out, width=1)
    pipes = []
    for name in ("a", "b"):
        read_end, write_end = os.pipe()
        pipes.append((sink.pump(name, os.fdopen(read_end, "rb")), write_end, name))
    for _ in range(200):
        for _, write_end, name in pipes:
            os.write(write_end, f"{name * 50}\n".encode())
    for thread, write_end, _ in pipes:
        os.close(write_end)
        thread.join(timeout=10)
    lines = out.getvalue().splitlines()
    assert len(lines) == 400
    assert set(lines) == {"a | " + "a" * 50, "b | " + "b" * 50}
