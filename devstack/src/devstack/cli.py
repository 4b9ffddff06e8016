"""`devstack run` (what `make run` calls) and `devstack clean` (`make clean`)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from devstack import interrupts
from devstack.datadir import AlreadyRunning, wipe
from devstack.gateway import tool
from devstack.postgres import remove_shared_copies
from devstack.processes import LogSink, StepFailed
from devstack.settings import StackSettings
from devstack.stack import Stack


def _addresses(ports: list[int]) -> str:
    return " ".join(f"127.0.0.1:{port}" for port in ports)


def cli_command(stack: Stack, env: Mapping[str, str]) -> str:
    """The auth service's command line with the settings that reach this stack."""
    s = stack.settings
    settings = [
        f"AUTH_DATABASE_URL=postgresql://postgres@127.0.0.1:{s.postgres_port}/auth",
        f"AUTH_REDIS_URL=redis://127.0.0.1:{s.redis_port}/0",
    ]
    # The services' key-encryption key: the built-in one, unless one was given.
    if "AUTH_KEY_ENCRYPTION_KEY" in env:
        settings.append("AUTH_KEY_ENCRYPTION_KEY=<the one given>")
    else:
        settings.append(f"AUTH_DEV_MODE={env.get('AUTH_DEV_MODE', 'true')}")
    try:
        program = Path(tool("auth-service"))
    except FileNotFoundError:
        program = Path("auth-service")
    shown = program.relative_to(s.root) if program.is_relative_to(s.root) else program
    return " ".join([*settings, str(shown)])


def _administrator(env: Mapping[str, str], command: str) -> list[str]:
    email = env.get("AUTH_BOOTSTRAP_ADMIN_EMAIL")
    if email:
        return [f"  Administrator: {email} (AUTH_BOOTSTRAP_ADMIN_EMAIL)"]
    return [
        "  An administrator: start with",
        "    make run AUTH_BOOTSTRAP_ADMIN_EMAIL=admin@example.com "
        "AUTH_BOOTSTRAP_ADMIN_PASSWORD='a long passphrase'",
        "  or, while it runs:",
        f"    {command} users create-admin --email admin@example.com",
    ]


def banner(stack: Stack, env: Mapping[str, str] | None = None) -> str:
    """What `make run` prints once ready; `env`: the services' settings (default: ours)."""
    env = {**os.environ, **stack.extra_env} if env is None else env
    s = stack.settings
    url = stack.base_url
    command = cli_command(stack, env)
    return "\n".join(
        [
            "",
            f"  Gatehouse is running at {url}",
            "",
            f"  API docs:      {url}/api/auth/docs",
            f"                 {url}/api/resource/docs",
            f"  Mail inbox:    {s.mail_url}  (every mail the stack sends; SMTP on "
            f"127.0.0.1:{s.smtp_port})",
            f"  Gateway ping:  http://127.0.0.1:{s.ping_port}/ping",
            f"  Services:      auth {_addresses(s.replica_ports('auth'))}, "
            f"resource {_addresses(s.replica_ports('resource'))}, web 127.0.0.1:{s.web_port}",
            f"  PostgreSQL:    postgresql://postgres@127.0.0.1:{s.postgres_port}/auth, /resource",
            f"  Redis:         redis://127.0.0.1:{s.redis_port}/0",
            f"  Data folder:   {s.data_dir}  (`make clean` wipes it)",
            "  Command line:  (keys, clients, users; --help lists them)",
            f"    {command} --help",
            "",
            *_administrator(env, command),
            "  Any AUTH_* / RESOURCE_* setting can be given the same way.",
            "",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


def run(_: argparse.Namespace) -> int:
    """Start the stack, print the banner, write the ready file; run till a signal or a
    broken process; stop, and say what is left running (nothing)."""
    sink = LogSink()
    stack = Stack(StackSettings.from_env(), sink=sink)
    interrupts.install()
    try:
        stack.start()
        with interrupts.held():
            sink.line("devstack", banner(stack))
            stack.mark_ready()
        while (broken := stack.failed_child()) is None:
            time.sleep(0.5)
            stack.revive_replicas()
        sink.line("devstack", f"{broken} exited on its own; stopping the stack")
        return 1
    except AlreadyRunning as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 2
    except StepFailed as error:
        sink.line("devstack", f"could not start: {error}")
        return 1
    except interrupts.Interrupted:
        return 0
    finally:
        with interrupts.shielded():
            if stack.started_anything():
                stack.stop()
                sink.line("devstack", stack.outcome())


def clean(_: argparse.Namespace) -> int:
    settings = StackSettings.from_env()
    try:
        removed = wipe(settings.data_dir)
    except AlreadyRunning as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 2
    # The shared copy of PostgreSQL's programs (made when root runs a private checkout).
    removed += remove_shared_copies()
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print(f"nothing to remove ({settings.data_dir} does not exist)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="devstack",
        description="The Gatehouse stack on this machine, without Docker. Ports and the data "
        "folder come from GATEHOUSE_* variables; AUTH_*/RESOURCE_* pass through to the services.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start everything; Ctrl-C stops it").set_defaults(handler=run)
    commands.add_parser("clean", help="wipe the local data folder").set_defaults(handler=clean)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
