"""What `make run` prints once ready: how to reach everything, the command line included."""

from __future__ import annotations

from pathlib import Path

from devstack.cli import banner, cli_command
from devstack.settings import StackSettings
from devstack.stack import Stack


def _stack(tmp_path: Path) -> Stack:
    return Stack(StackSettings.on_free_ports(tmp_path, tmp_path / "data"))


def test_the_administrator_hint_shows_only_without_a_bootstrap_administrator(
    tmp_path: Path,
) -> None:
    stack = _stack(tmp_path)
    hinted = banner(stack, {})
    assert "An administrator: start with" in hinted
    assert "make run AUTH_BOOTSTRAP_ADMIN_EMAIL=admin@example.com" in hinted
    given = banner(stack, {"AUTH_BOOTSTRAP_ADMIN_EMAIL": "boss@example.org"})
    assert "Administrator: boss@example.org" in given
    assert "An administrator: start with" not in given
    assert "admin@example.com" not in given


def test_the_command_line_reaches_this_stacks_databases(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    s = stack.settings
    command = cli_command(stack, {})
    assert f"AUTH_DATABASE_URL=postgresql://postgres@127.0.0.1:{s.postgres_port}/auth" in command
    assert f"AUTH_REDIS_URL=redis://127.0.0.1:{s.redis_port}/0" in command
    assert "AUTH_DEV_MODE=true" in command and command.endswith("auth-service")
    assert f"{command} --help" in banner(stack, {})
    own_key = cli_command(stack, {"AUTH_KEY_ENCRYPTION_KEY": "k" * 64})
    assert "AUTH_DEV_MODE" not in own_key and "k" * 64 not in own_key  # never a secret
