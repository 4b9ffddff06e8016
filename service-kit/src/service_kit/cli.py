"""What a service's command line shares: each sub-command sets `run(args) -> exit code`."""

from __future__ import annotations

import argparse


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parses `argv` and runs the chosen command; its result is the exit code."""
    args = parser.parse_args(argv)
    return int(args.run(args))
