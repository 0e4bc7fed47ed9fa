"""The paper's shapes through the real workflow, with a table per job: wall, peak RSS, outputs.

    python -m alcore.workflow.rehearsal              # full shapes (configs/rehearsal.yaml)
    python -m alcore.workflow.rehearsal --size 0.1   # a tenth of the images and labels
    make rehearsal SIZE=0.1                          # the same

Makes a synthetic CIFAR-size image folder from a seed (alcore.data.synthetic_images), scales
configs/rehearsal.yaml's sizes by ``--size``, runs ``snakemake all`` on it, then reads every
job's cost file (wall seconds, peak RSS: alcore.workflow.job.write_cost) and the sizes of what
it wrote. Also measures, in fresh processes, a load of the image folder after its cache
exists. Everything goes under ``rehearsal/size<SIZE>/`` (ignored by git); the table is printed
and written to ``report.md`` there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from alcore.workflow.job import read_cost

ROOT = Path.cwd()  # the repository: run from its root, as make does
BASE_CONFIG = ROOT / "configs" / "rehearsal.yaml"
FULL_TRAIN, FULL_TEST = 50_000, 10_000  # CIFAR's split
STAGE_FILES = {  # the files each job writes, beside its log
    "initial_labels": ["labelled.parquet"],
    "train": ["model.pt"],
    "embed": ["embedding.parquet"],
    "select": ["acquisitions.parquet", "next_labelled.parquet"],
    "evaluate": ["metrics.parquet"],
}
LOAD_PROBE = """
import resource, sys, time
from alcore.data import load_dataset
started = time.perf_counter()
bundle = load_dataset("imagefolder", data_dir=sys.argv[1], options={"root": sys.argv[2]})
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{seconds:.2f} {peak:.0f} {bundle.n_pool} {bundle.n_test}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1.0, help="fraction of the paper's shapes")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic images")
    parser.add_argument(
        "--first-round", action="store_true",
        help="run round 0 only (train, embed, evaluate, and each strategy's first selection)",
    )  # fmt: skip
    args = parser.parse_args()
    if not 0 < args.size <= 1:
        parser.error(f"--size {args.size} must be in (0, 1]")
    here = ROOT / "rehearsal" / f"size{args.size:g}"
    config = write_config(here, args.size)
    make_images(config, args.size, args.seed)
    started = time.perf_counter()
    targets = first_round_targets(config) if args.first_round else ["all"]
    subprocess.run(
        [sys.executable, "-m", "snakemake", *targets, "--cores", str(args.cores),
         "--resources", "gpu=1", "--configfile", str(here / "config.yaml"), "--rerun-incomplete"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    rows = job_rows(config)
    report = table(rows) + "\n\n" + summary(rows, wall) + "\n\n" + load_table(config)
    (here / "report.md").write_text(report + "\n")
    print(report)


def write_config(here: Path, size: float) -> dict[str, Any]:
    """configs/rehearsal.yaml with its folders under ``here`` and its sizes scaled."""
    config: dict[str, Any] = yaml.safe_load(BASE_CONFIG.read_text())
    config.update(
        results=str(here / "results"), logs=str(here / "logs"), data_dir=str(here / "data")
    )
    for experiment in config["experiments"].values():
        for dataset in experiment["datasets"].values():
            dataset["initial"] = max(10, round(dataset["initial"] * size))
            dataset["budget"] = max(10, round(dataset["budget"] * size))
    here.mkdir(parents=True, exist_ok=True)
    (here / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return config


def first_round_targets(config: dict[str, Any]) -> list[str]:
    """Round 0's metrics and every strategy's first acquisitions."""
    from alcore.workflow import paths

    targets = []
    results = config["results"]
    for name, experiment in config["experiments"].items():
        for key in experiment["datasets"]:
            for seed in experiment["seeds"]:
                targets.append(paths.stage_file(results, name, key, paths.INITIAL, seed, 0,
                                                "metrics.parquet"))  # fmt: skip
                targets += [
                    f"{paths.round_dir(results, name, key, s, seed, 0)}/acquisitions.parquet"
                    for s in experiment["strategies"]
                ]
    return targets


def make_images(config: dict[str, Any], size: float, seed: int) -> None:
    from alcore.data.synthetic_images import write_synthetic_folder

    for experiment in config["experiments"].values():
        for dataset in experiment["datasets"].values():
            root = Path(config["data_dir"]) / dataset["options"]["root"]
            started = time.perf_counter()
            write_synthetic_folder(
                root, n_train=round(FULL_TRAIN * size), n_test=round(FULL_TEST * size), seed=seed
            )
            print(f"image folder {root}: ready in {time.perf_counter() - started:.1f} s")


def job_rows(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per job from its cost file (``<rule>.tsv``): rule, run, wall, peak RSS, output
    MB."""
    logs, results = Path(config["logs"]), Path(config["results"])
    rows = []
    for tsv in sorted(logs.rglob("*.tsv")):
        rule = tsv.stem
        record = read_cost(tsv)
        run = tsv.parent.relative_to(logs)
        outputs = [results / run / name for name in STAGE_FILES.get(rule, [])]
        size = sum(p.stat().st_size for p in outputs if p.exists()) / 1e6
        rows.append({"job": rule, "run": str(run), "wall_s": record["s"],
                     "peak_rss_mb": record["max_rss"], "output_mb": size})  # fmt: skip
    order = list(STAGE_FILES)
    rows.sort(key=lambda r: (str(r["run"]).split("/round")[-1], order.index(str(r["job"])),
                             str(r["run"])))  # fmt: skip
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| job | run | wall s | peak RSS MB | output MB |", "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['job']} | {r['run']} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} "
                     f"| {r['output_mb']:.1f} |")  # fmt: skip
    return "\n".join(lines)


def summary(rows: list[dict[str, Any]], wall: float) -> str:
    total_mb = sum(r["output_mb"] for r in rows)
    return (f"{len(rows)} jobs, {wall:.0f} s of workflow wall time, "
            f"{total_mb:.0f} MB written (logs excluded).")  # fmt: skip


def load_table(config: dict[str, Any]) -> str:
    """Two loads of the image folder in fresh processes, now that its cache exists."""
    lines = ["| image folder load (cache present) | seconds | peak RSS MB |", "|---|---:|---:|"]
    for experiment in config["experiments"].values():
        for dataset in experiment["datasets"].values():
            for attempt in (1, 2):
                out = subprocess.run(
                    [sys.executable, "-c", LOAD_PROBE, config["data_dir"],
                     dataset["options"]["root"]],
                    check=True, capture_output=True, text=True, cwd=ROOT,
                    env={**os.environ, "PYTHONWARNINGS": "ignore"},
                ).stdout.split()  # fmt: skip
                seconds, peak, n_pool, n_test = out
                lines.append(f"| {n_pool} pool + {n_test} test, load {attempt} | {seconds} "
                             f"| {peak} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()
