"""Per-stage costs of a finished workflow run, from the jobs' Snakemake benchmark files.

    python benchmarks/stage_costs.py logs                  # every experiment under logs/
    python benchmarks/stage_costs.py logs/fashion_small

One row per (experiment, rule): jobs, wall seconds a job and in all, peak RSS. Wall seconds are
exact (the job's process from start to end, Python's start-up and imports included). Snakemake's
``cpu_time`` column is not shown: it comes from samples every 0.5 s for the first 15 s of a job,
then every 30 s, so it misses whatever a job spends after its last sample (up to 30 s). For the
run's CPU time, time the whole run (``/usr/bin/time``) instead.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path


def stage_rows(logs: Path) -> list[dict[str, object]]:
    """One row per (experiment, rule) from every ``<rule>.tsv`` under ``logs``."""
    walls: dict[tuple[str, str], list[float]] = defaultdict(list)
    peaks: dict[tuple[str, str], float] = defaultdict(float)
    for tsv in sorted(logs.rglob("*.tsv")):
        with tsv.open() as handle:
            record = next(csv.DictReader(handle, delimiter="\t"))
        experiment = tsv.relative_to(logs).parts[0] if tsv.parent != logs else logs.name
        key = (experiment, tsv.stem)
        walls[key].append(float(record["s"]))
        peaks[key] = max(peaks[key], float(record["max_rss"]))
    return [
        {
            "experiment": experiment,
            "rule": rule,
            "jobs": len(wall),
            "wall_s_per_job": sum(wall) / len(wall),
            "wall_s": sum(wall),
            "peak_rss_mb": peaks[(experiment, rule)],
        }
        for (experiment, rule), wall in sorted(walls.items())
    ]


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| experiment | rule | jobs | wall s a job | wall s in all | peak RSS MB |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['experiment']} | {r['rule']} | {r['jobs']} | {r['wall_s_per_job']:.1f} "
            f"| {r['wall_s']:,.0f} | {r['peak_rss_mb']:,.0f} |"
        )
    total = sum(float(r["wall_s"]) for r in rows)  # type: ignore[arg-type]
    jobs = sum(int(r["jobs"]) for r in rows)  # type: ignore[call-overload]
    lines.append(f"| all | | {jobs} | | {total:,.0f} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, help="the run's logs folder (config key 'logs')")
    args = parser.parse_args()
    rows = stage_rows(args.logs)
    if not rows:
        raise SystemExit(f"{args.logs}: no benchmark files (<rule>.tsv) under it")
    print(markdown(rows))


if __name__ == "__main__":
    main()
