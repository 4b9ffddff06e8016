"""Gatehouse benchmarks: `make bench` (or `python -m bench`) prints one table of figures and
ratios against the targets of the benchmark issue. Timings are printed, never asserted."""
