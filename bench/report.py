"""The one table: each row a figure or a ratio, its target and whether it was met; as plain
text for the terminal and as Markdown for BENCHMARKS.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench.profile import Profile


@dataclass(frozen=True)
class Row:
    item: str  # the numbering: 1a, 1b, 2, ...
    measure: str
    figures: str  # what the ratio is made of, e.g. "1,850 / 2,010 req/s"
    value: float | None  # the ratio (or figure) compared with the target
    shown: str  # `value` as printed: "0.92", "6.3x", "18 ms"
    target: str = ""  # ">= 0.90", "< 25 ms", or "" for figures without a target
    met: bool | None = None  # None: nothing to meet
    # The same ratio from the servers' CPU time per request (what one free core would give;
    # barely moved by other work on the machine): a cross-check of the req/s ratio.
    by_cpu: str = ""

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("pass" if self.met else "MISS")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


@dataclass(frozen=True)
class Bar:
    """One bar of the chart: `panel` is "rates", "login" or "memory"."""

    panel: str
    label: str
    value: float
    kind: str = "ours"  # ours, baseline, alternative, whatif


@dataclass
class Outcome:
    """What one item of the benchmark returns: its rows, every figure behind them (for
    results.json), its bars of the chart, and the profiles of its misses."""

    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    bars: list[Bar] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)


def ratio_row(
    item: str,
    measure: str,
    num: float,
    den: float,
    unit: str,
    at_least: float,
    *,
    times: bool = False,
    cpu: tuple[float, float] | None = None,
) -> Row:
    """num / den against `at_least`; `cpu` = (CPU per request of num, of den), in any unit."""
    value = num / den if den else float("nan")
    form = "{:.1f}x" if times else "{:.2f}"
    if value < at_least and form.format(value) == form.format(at_least):
        form = "{:.2f}x" if times else "{:.3f}"  # a miss must not print as the target
    target = f">= {at_least:g}x" if times else f">= {at_least:.2f}"
    by_cpu = form.format(cpu[1] / cpu[0]) if cpu and cpu[0] else ""
    return Row(
        item,
        measure,
        f"{num:,.0f} / {den:,.0f} {unit}",
        value,
        form.format(value),
        target,
        value >= at_least,
        by_cpu,
    )


def text_table(rows: list[Row]) -> str:
    headers = ("#", "measure", "figures", "result", "by CPU", "target", "")
    cells = [headers] + [
        (r.item, r.measure, r.figures, r.shown, r.by_cpu, r.target, r.verdict) for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| # | measure | figures | result | by CPU time | target | |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for r in rows:
        verdict = {"pass": "pass", "MISS": "**miss**", "": ""}[r.verdict]
        cells = (r.item, r.measure, r.figures, r.shown, r.by_cpu, r.target, verdict)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
