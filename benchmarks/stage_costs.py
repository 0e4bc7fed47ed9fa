"""Per-stage costs of a finished workflow run, from the jobs' cost files.

    python benchmarks/stage_costs.py logs                  # every experiment under logs/
    python benchmarks/stage_costs.py logs/fashion_small

One row per (experiment, rule): jobs, wall and CPU seconds a job and in all, peak RSS. Each job
measures itself at exit (``<rule>.tsv`` beside its log: :func:`alcore.workflow.job.write_cost`):
wall seconds from the process's start, Python's start-up and imports included; CPU seconds of
the job's process and its children. Snakemake's own work between jobs is in neither: time the
whole run for it.
"""

from __future__ import annotations

import os
import sys

# benchmarks/select.py beside this file would shadow the standard library's ``select``
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
from collections import defaultdict
from pathlib import Path

from alcore.workflow.job import read_cost


def stage_rows(logs: Path) -> list[dict[str, object]]:
    """One row per (experiment, rule) from every ``<rule>.tsv`` under ``logs``."""
    costs: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for tsv in sorted(logs.rglob("*.tsv")):
        experiment = tsv.relative_to(logs).parts[0] if tsv.parent != logs else logs.name
        costs[(experiment, tsv.stem)].append(read_cost(tsv))
    rows: list[dict[str, object]] = []
    for (experiment, rule), jobs in sorted(costs.items()):
        wall = sum(job["s"] for job in jobs)
        cpu = sum(job["cpu_time"] for job in jobs)
        rows.append({
            "experiment": experiment,
            "rule": rule,
            "jobs": len(jobs),
            "wall_s_per_job": wall / len(jobs),
            "wall_s": wall,
            "cpu_s_per_job": cpu / len(jobs),
            "cpu_s": cpu,
            "peak_rss_mb": max(job["max_rss"] for job in jobs),
        })  # fmt: skip
    return rows


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| experiment | rule | jobs | wall s a job | wall s in all | CPU s a job | CPU s in all "
        "| peak RSS MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['experiment']} | {r['rule']} | {r['jobs']} | {r['wall_s_per_job']:.1f} "
            f"| {r['wall_s']:,.0f} | {r['cpu_s_per_job']:.1f} | {r['cpu_s']:,.0f} "
            f"| {r['peak_rss_mb']:,.0f} |"
        )
    wall = sum(float(r["wall_s"]) for r in rows)  # type: ignore[arg-type]
    cpu = sum(float(r["cpu_s"]) for r in rows)  # type: ignore[arg-type]
    jobs = sum(int(r["jobs"]) for r in rows)  # type: ignore[call-overload]
    lines.append(f"| all | | {jobs} | | {wall:,.0f} | | {cpu:,.0f} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, help="the run's logs folder (config key 'logs')")
    args = parser.parse_args()
    rows = stage_rows(args.logs)
    if not rows:
        raise SystemExit(f"{args.logs}: no cost files (<rule>.tsv) under it")
    print(markdown(rows))


if __name__ == "__main__":
    main()
