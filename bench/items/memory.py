"""Item 6: the resident memory of each service once every load has run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

from bench.context import Context
from bench.items.common import say
from bench.procs import rss_mib
from bench.report import Bar, Outcome, Row

PYTHON_SERVICE_MIB = 120.0

# (process name, label, kind, held to the target)
SERVICES = (
    ("auth", "auth service", "ours", True),
    ("resource", "resource service", "ours", True),
    ("gateway", "Traefik gateway", "baseline", False),
    ("auth-bench", "auth (bench wrapper)", "ours", False),
    ("resource-bench", "resource (bench wrapper)", "ours", False),
    ("fastapi-users", "fastapi-users app", "alternative", False),
)


# The auth app built in a fresh process, and its resident memory then; with `{block}` True,
# httpx's command-line module (which imports click, rich and pygments whenever they are
# installed, as the development tools install them) is kept out.
_AT_START_UP = """
import sys
if {block}:
    sys.modules["httpx._main"] = None
from auth_service.app import create_app
create_app()
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024)
"""


def _auth_app_rss_at_start_up(block: bool, env: Mapping[str, str]) -> float:
    script = _AT_START_UP.format(block=block)
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=dict(env),
    )
    return float(out.stdout.split()[-1])


def resident_memory_after_the_load(ctx: Context) -> Outcome:
    say("6: resident memory of each service after the load")
    out = Outcome()
    for number, (name, label, kind, held) in enumerate(SERVICES):
        if name not in ctx.pids:
            continue
        mib = rss_mib(ctx.pids[name])
        out.details[f"RSS MiB: {label}"] = round(mib, 1)
        out.bars.append(Bar("memory", label, mib, kind))
        if held:
            out.rows.append(
                Row(
                    f"6{'abc'[number]}",
                    f"RSS of the {label} after the load",
                    "",
                    mib,
                    f"{mib:.0f} MiB",
                    f"<= {PYTHON_SERVICE_MIB:.0f} MiB",
                    mib <= PYTHON_SERVICE_MIB,
                )
            )
        elif name == "gateway":
            out.rows.append(
                Row("6c", f"RSS of the {label} after the load", "", mib, f"{mib:.0f} MiB")
            )
    if ctx.profile and not all(row.met for row in out.rows if row.met is not None):
        _development_tools_what_if(ctx, out)
    return out


def _development_tools_what_if(ctx: Context, out: Outcome) -> None:
    """What the development environment (`make run`'s, the bench's) adds to the auth
    service: httpx imports its command-line client's libraries when they are installed
    (the test tools install them; the production image does not)."""
    say("what-if: the auth service without the development tools' modules ...")
    env = ctx.stack.service_env()
    shipped = min(_auth_app_rss_at_start_up(False, env) for _ in range(2))
    without = min(_auth_app_rss_at_start_up(True, env) for _ in range(2))
    after = ctx.pids.get("auth")
    measured = rss_mib(after) if after is not None else shipped
    out.details["auth app at start-up, RSS MiB: as installed / without httpx's CLI"] = [
        round(shipped, 1),
        round(without, 1),
    ]
    value = measured - (shipped - without)
    out.rows.append(
        Row(
            "6a*",
            "what-if: 6a without the development tools httpx imports (click, rich, pygments)",
            f"{shipped:.0f} -> {without:.0f} MiB at start-up",
            value,
            f"{value:.0f} MiB",
            f"(<= {PYTHON_SERVICE_MIB:.0f} MiB)",
        )
    )
