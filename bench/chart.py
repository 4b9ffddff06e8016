"""The chart of a run (bench/results/bench.png): run with .bench-venv's Python, which has
matplotlib; reads the run's JSON, imports nothing of Gatehouse.

    .bench-venv/bin/python -m bench.chart RESULTS.json OUT.png
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PASS, MISS = "#2e7d32", "#c62828"
KINDS = {"ours": "#1565c0", "baseline": "#9e9e9e", "alternative": "#ef6c00", "whatif": "#6a1b9a"}


def _targets(ax: Any, rows: list[dict[str, Any]]) -> None:
    """Each target as a bar of (achieved / target); 1.0 is the line to reach."""
    rows = [r for r in rows if r["met"] is not None]
    labels, scores, colours, notes = [], [], [], []
    for r in rows:
        target = float(re.search(r"[\d.]+", r["target"]).group())  # type: ignore[union-attr]
        lower_is_better = r["target"].startswith("<")
        score = (target / r["value"]) if lower_is_better else (r["value"] / target)
        labels.append(f"{r['item']}  {r['measure']}")
        scores.append(score)
        colours.append(PASS if r["met"] else MISS)
        notes.append(f"{r['shown']}  (target {r['target']})")
    y = range(len(rows))[::-1]
    ax.barh(list(y), [min(score, 3.0) for score in scores], color=colours, height=0.6)
    ax.axvline(1.0, color="black", linewidth=1, linestyle="--")
    for yi, score, note in zip(y, scores, notes, strict=True):
        ax.text(min(score, 3.0) + 0.03, yi, note, va="center", fontsize=8)
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.set_xlim(0, 4.6)
    ax.set_xlabel("achieved / target  (right of the dashed line: target met)")
    ax.set_title("Targets of the benchmark issue", fontsize=10, loc="left")


def _bars(ax: Any, items: list[tuple[str, float, str]], title: str, unit: str, fmt: str) -> None:
    labels = [label for label, _, _ in items]
    values = [value for _, value, _ in items]
    y = range(len(items))[::-1]
    ax.barh(list(y), values, color=[colour for _, _, colour in items], height=0.6)
    top = max(values) if values else 1.0
    for yi, value in zip(y, values, strict=True):
        ax.text(value + top * 0.01, yi, format(value, fmt) + unit, va="center", fontsize=8)
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.set_xlim(0, top * 1.25)
    ax.set_title(title, fontsize=10, loc="left")


def draw(results: dict[str, Any], out: Path) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(15, 8.5))
    _targets(axes[0][0], results["rows"])
    rates = results["chart"]["rates"]
    _bars(
        axes[0][1],
        [(r["label"], r["value"], KINDS[r["kind"]]) for r in rates],
        "Requests per second, one worker (wrk on loopback)",
        "",
        ",.0f",
    )
    login = results["chart"]["login"]
    _bars(
        axes[1][0],
        [(r["label"], r["value"], KINDS[r["kind"]]) for r in login],
        "p99 of GET /healthz while 16 log-ins run (ms; target < 25)",
        " ms",
        ",.0f",
    )
    axes[1][0].axvline(25, color="black", linewidth=1, linestyle="--")
    memory = results["chart"]["memory"]
    _bars(
        axes[1][1],
        [(r["label"], r["value"], KINDS[r["kind"]]) for r in memory],
        "Resident memory after the load (MiB)",
        " MiB",
        ",.0f",
    )
    m = results["machine"]
    fig.suptitle(
        f"Gatehouse benchmarks, {results['date']} — {m['nproc']} cores ({m['cpu']}), "
        f"{m['ram']} RAM, Python {m['python']}",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    draw(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
