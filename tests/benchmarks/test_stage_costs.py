"""benchmarks/stage_costs.py: per-stage rows from the jobs' cost files."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "stage_costs.py"


def _module():
    spec = importlib.util.spec_from_file_location("stage_costs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path: Path, wall: float, rss: float) -> None:
    """A cost file as a job writes it (alcore.workflow.job.write_cost), CPU = wall / 2."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"s\tcpu_time\tmax_rss\n{wall}\t{wall / 2}\t{rss}\n")


def test_rows_group_jobs_by_experiment_and_rule(tmp_path):
    _write(tmp_path / "ablation/digits/greedy/seed0/round0/train.tsv", 2.0, 300)
    _write(tmp_path / "ablation/digits/greedy/seed0/round1/train.tsv", 4.0, 500)
    _write(tmp_path / "ablation/digits/greedy/seed0/round1/select.tsv", 1.5, 200)
    _write(tmp_path / "toys/blobs/random/seed0/round0/train.tsv", 7.0, 100)
    rows = _module().stage_rows(tmp_path)
    assert [(r["experiment"], r["rule"], r["jobs"]) for r in rows] == [
        ("ablation", "select", 1),
        ("ablation", "train", 2),
        ("toys", "train", 1),
    ]
    train = rows[1]
    assert train["wall_s"] == 6.0 and train["wall_s_per_job"] == 3.0
    assert train["cpu_s"] == 3.0 and train["cpu_s_per_job"] == 1.5
    assert train["peak_rss_mb"] == 500
    table = _module().markdown(rows)
    assert table.splitlines()[-1] == "| all | | 4 | | 14 | | 7 | |"


def test_the_command_prints_the_table(tmp_path):
    """Run as a script, from the folder where benchmarks/select.py would shadow ``select``."""
    _write(tmp_path / "ablation/digits/greedy/seed0/round0/train.tsv", 2.0, 300)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "| all | | 1 | | 2 | | 1 | |"
