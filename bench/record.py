"""A run's results: the JSON of every figure, and the block of BENCHMARKS.md between its
bench markers (the table, the machine, the versions, the profiles of the misses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report import Row, markdown_table

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def profiles_markdown(profiles: list[dict[str, Any]]) -> list[str]:
    """Each profile of a missed target: where the event loop's time went (py-spy)."""
    if not profiles:
        return []
    lines = [
        "**Profiles of the misses** (py-spy at 200 Hz on the service's event-loop thread, while "
        "the same load ran again; the share of its busy samples in which the function is on "
        "the stack, ASGI plumbing left out):",
        "",
    ]
    for p in profiles:
        top = ", ".join(f"`{name}` {share:.0%}" for name, share in p["inclusive"][:12])
        own = ", ".join(f"`{name}` {share:.0%}" for name, share in p["self_time"][:6])
        workers = f"; other threads: {p['worker_samples']}" if p.get("worker_samples") else ""
        lines += [
            f"- *{p['name']}* ({p['samples']} samples{workers}): {top}. "
            f"Most often on top of the stack: {own}.",
            "",
        ]
    return lines


def block(results: dict[str, Any]) -> str:
    rows = [Row(**{k: v for k, v in r.items() if k != "verdict"}) for r in results["rows"]]
    m, v, load = results["machine"], results["versions"], results["load_average"]
    return "\n".join(
        [
            BEGIN,
            f"Run of {results['date']}: `{results['command']}` ({results['elapsed_seconds']} s "
            f"in all, {results['seconds_per_load']:g} s per measured load).",
            "",
            "Seconds per item (profiles and what-ifs included): "
            + ", ".join(f"{k} {v}" for k, v in results.get("seconds_per_item", {}).items())
            + ".",
            "",
            markdown_table(rows),
            "",
            f"**Machine:** {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, {m['os']}, "
            f"kernel {m['kernel']}, Python {m['python']}. Load average (1, 5, 15 min) "
            f"{load['before']} before the run and {load['after']} after: other work shared "
            "the machine.",
            "",
            "**Versions:** " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
            "",
            *profiles_markdown(results["profiles"]),
            "Every figure of this run (requests, latencies, CPU per request and per process, "
            "the verified-token cache's hits and misses, the what-ifs, the gateway ablation): "
            "[bench/results/latest.json](bench/results/latest.json).",
            END,
        ]
    )


def record(results: dict[str, Any], doc: Path) -> None:
    """Replace the block between the bench markers of `doc` (made if missing)."""
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(head + block(results) + tail)
