"""Item 6: the resident memory of each service once every load has run."""

from __future__ import annotations

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
    return out
