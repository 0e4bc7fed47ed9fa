"""The real workflow on a tiny config: lint, dry runs, a full run, kill -9 and resume, reruns."""

import random
import re
import subprocess

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from workflow_runs import (
    ROOT,
    TINY,
    jobs_started,
    run,
    snakemake_command,
    start,
    steps_run,
    wait_for_jobs_started,
    wait_for_steps,
)

pytestmark = pytest.mark.slow

METRICS = "results/tiny/metrics.parquet"


def same_table(a, b):
    np.testing.assert_equal(pq.read_table(a).to_pydict(), pq.read_table(b).to_pydict())


def test_lint_is_clean():
    done = subprocess.run(
        [*snakemake_command(ROOT, "--lint"), "--configfile", str(ROOT / "config.yaml")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Lints for" not in done.stdout + done.stderr


# Job counts counted by hand from each config file. Per experiment and dataset, with A arms,
# S seeds and R rounds: select runs once per arm, seed and round 0..R-1 (A*S*R jobs); train runs
# once per seed for round 0, whose model every arm starts from, and once per arm, seed and round
# 1..R (S*(1 + A*R) jobs); aggregate once per experiment. An arm is a distinct setting:
# ``greedy`` ({kind: coreset}) and ``greedy_beam1`` ({kind: coreset, beam_width: 1}) are the
# same algorithm and share one arm wherever an experiment lists both.
DRY_RUN_JOBS = {
    "config.yaml": {
        # ablation_digits: 7 strategies, greedy = greedy_beam1: A=6, S=3, R=2 -> 36 and 39
        # toy_blobs: A=3, S=3, R=5 -> 45 and 48; toy_quadrants: A=2, S=1, R=4 -> 8 and 9
        # toy_beams: A=1, S=1, R=1 -> 1 and 2
        "select": 36 + 45 + 8 + 1,
        "train": 39 + 48 + 9 + 2,
        "aggregate": 4,
    },
    # ablation_cifar10: 6 strategies, greedy = greedy_beam1: A=5, S=5, R=10
    "configs/ablation.yaml": {"select": 5 * 5 * 10, "train": 5 * (1 + 5 * 10), "aggregate": 1},
    # main: 3 datasets, each A=3, S=5, R=(25,000 - 5,000) / 5,000 = 4 (its ceiling)
    "configs/main.yaml": {"select": 3 * 3 * 5 * 4, "train": 3 * 5 * (1 + 3 * 4), "aggregate": 1},
}


@pytest.mark.parametrize("config", sorted(DRY_RUN_JOBS))
def test_dry_runs_build_the_expected_dag(config, tmp_path):
    output = run(tmp_path, "-n", "all_figures", config=ROOT / config)
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", output, flags=re.MULTILINE))
    assert {rule: int(counts[rule]) for rule in DRY_RUN_JOBS[config]} == DRY_RUN_JOBS[config]


def test_full_run_writes_every_output(reference):
    workdir, _ = reference
    metrics = pq.read_table(workdir / METRICS).to_pandas()
    assert sorted(metrics.strategy.unique()) == ["pweighted_beam4", "random"]
    assert sorted(metrics["round"].unique()) == [0, 1, 2]
    assert metrics.groupby("strategy").n_labels.max().tolist() == [30, 30]
    for figure in ("radius", "figure4", "figure7"):
        assert (workdir / f"results/figures/tiny/{figure}.png").stat().st_size > 0
    assert (workdir / "results/tiny/summary.md").exists()
    assert list((workdir / "logs").rglob("train.log"))


def test_sigterm_stops_cleanly_then_resume_gives_identical_results(reference, tmp_path):
    # SIGKILL at many moments: test_workflow_faults.py
    ref_dir, ref_output = reference
    total = steps_run(ref_output)
    rng = random.Random(1234)
    process, log = start(tmp_path, "all_figures")
    # after a random number of finished jobs, at most half of them: the moment is set by the
    # run's progress, never by a clock, so a slow or a fast machine interrupts it part-way alike
    # (more than half the jobs are still to run, and each takes seconds)
    assert wait_for_steps(process, log, rng.randint(1, total // 2))
    # and after the next job has started: a SIGTERM while Snakemake is selecting jobs
    # deadlocks it (its handler waits for the lock the selection holds; Snakemake 9.27)
    assert wait_for_jobs_started(process, log, jobs_started(log.read_text()) + 1)
    process.terminate()  # snakemake alone: it must stop its jobs and exit by itself
    assert process.wait() != 0
    run(tmp_path, "--unlock")
    resumed = run(tmp_path, "all_figures", "--rerun-incomplete")
    assert steps_run(resumed) < total  # finished jobs were not redone
    same_table(ref_dir / METRICS, tmp_path / METRICS)


def test_rerunning_one_round_redoes_only_what_follows(reference, tmp_path):
    ref_dir, _ = reference
    import shutil

    for name in ("results", "logs", ".snakemake"):
        shutil.copytree(ref_dir / name, tmp_path / name)
    model = "results/tiny/blobs/pweighted_beam4/seed0/round2/model.pt"
    output = run(tmp_path, "all_figures", "-R", model)
    # train, embed and evaluate of round 2, then aggregate, summarize, the two figures drawn
    # from the tables (not figure7, which depends on nothing) and the target
    assert steps_run(output) == 8
    same_table(ref_dir / METRICS, tmp_path / METRICS)


def test_offline_report_holds_the_figures_and_the_summary(reference):
    workdir, _ = reference
    run(workdir, "--report", "report.html")
    html = (workdir / "report.html").read_text()
    assert "radius.png" in html and "summary.csv" in html


def test_a_configfile_replaces_the_embedded_default():
    # run from the repository root, where config.yaml exists: Snakemake would merge the two
    done = subprocess.run(
        [*snakemake_command(ROOT, "-n", "all"), "--cores", "1"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-2000:]
    assert "experiment=tiny" in output and "experiment=ablation_digits" not in output


def test_keep_checkpoints_last_deletes_the_earlier_models_and_stays_complete(reference, tmp_path):
    ref_dir, _ = reference
    config = yaml.safe_load(TINY.read_text())
    config["keep_checkpoints"] = "last"
    (tmp_path / "last.yaml").write_text(yaml.safe_dump(config))
    run(tmp_path, "all_figures", config=tmp_path / "last.yaml")
    kept = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("model.pt"))
    assert kept == [f"results/tiny/blobs/{arm}/seed0/round2/model.pt"
                    for arm in ("pweighted_beam4", "random")]  # fmt: skip
    same_table(ref_dir / METRICS, tmp_path / METRICS)
    # the deleted checkpoints are not missing outputs: nothing is planned again
    assert "Nothing to be done" in run(tmp_path, "-n", "all_figures", config=tmp_path / "last.yaml")
