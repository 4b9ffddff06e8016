"""`make bench`: every figure of the benchmark issue on loopback, as one table.

Figures, ratios, targets, pass or miss, in about ten minutes; timings are printed, never
asserted.

    python -m bench [--seconds 10] [--record] [--no-profile] [--skip-fastapi-users]
                    [--only verification,rotations,...]

The run's log and every figure go to .bench-venv/logs/<time>/. `--record` also writes the
table into BENCHMARKS.md (between its bench markers), the chart into bench/results/bench.png
and the figures into bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict

from devstack.gateway import tool
from devstack.postgres import pg_bin

from bench import benchenv, machine, record
from bench import run as bench_run
from bench.report import text_table
from bench.run import ITEMS, say
from bench.stack import ROOT

RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "BENCHMARKS.md"
KEEP_RUNS = 3  # log folders kept under .bench-venv/logs/ (each holds the stack's whole log)


def tools() -> dict[str, list[str]]:
    return {
        "wrk": ["wrk", "--version"],
        "traefik": [tool("traefik"), "version"],
        "postgresql": [str(pg_bin("postgres")), "--version"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="seconds of each measured load, split in interleaved rounds (default 10)",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="write BENCHMARKS.md's table, bench/results/bench.png and latest.json",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="no profiles or what-ifs for the missed targets"
    )
    parser.add_argument("--skip-fastapi-users", action="store_true", help="leave item 7 out")
    parser.add_argument(
        "--only", default="", help=f"comma-separated items to run (of: {', '.join(ITEMS)})"
    )
    args = parser.parse_args(argv)

    began = time.monotonic()
    bench_python = benchenv.ensure()
    log_dir = benchenv.VENV / "logs" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir.mkdir(parents=True)
    for old in sorted(log_dir.parent.iterdir())[:-KEEP_RUNS]:  # names sort by time
        shutil.rmtree(old, ignore_errors=True)
    say(f"logs and every figure: {log_dir.relative_to(ROOT)}/")
    load_before = machine.load_average()
    run = bench_run.run(args, log_dir, bench_python)
    elapsed = time.monotonic() - began
    rows = run.sorted_rows()
    results = {
        "date": datetime.date.today().isoformat(),
        "command": "make bench" + (" BENCH_ARGS=--record" if args.record else ""),
        "seconds_per_load": args.seconds,
        "elapsed_seconds": round(elapsed),
        "machine": machine.machine(),
        "load_average": {"before": load_before, "after": machine.load_average()},
        "versions": machine.versions(bench_python, tools()),
        "rows": [row.as_dict() for row in rows],
        "details": run.details,
        "seconds_per_item": run.timings,
        "profiles": [
            {**asdict(p), "raw_path": str(p.raw_path.relative_to(ROOT))} for p in run.profiles
        ],
        "chart": run.chart,
    }
    print()
    print(text_table(rows))
    print()
    m = results["machine"]
    print(
        f"{m['nproc']} cores ({m['cpu']}), {m['ram']}, Python {m['python']}; load average "
        f"{load_before} before, {results['load_average']['after']} after; {elapsed:.0f} s."
    )
    (log_dir / "results.json").write_text(json.dumps(results, indent=1))
    chart = (RESULTS if args.record else log_dir) / "bench.png"
    chart_cmd = [str(bench_python), "-m", "bench.chart", str(log_dir / "results.json"), str(chart)]
    subprocess.run(chart_cmd, cwd=ROOT, check=True)
    print(
        f"chart: {chart.relative_to(ROOT)}; every figure: {log_dir.relative_to(ROOT)}/results.json"
    )
    if args.record:
        (RESULTS / "latest.json").write_text(json.dumps(results, indent=1))
        record.record(results, DOC)
        print(f"recorded in {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
