"""The real workflow on a tiny config: lint, dry runs, a full run, kill -9 and resume, reruns."""

import dataclasses
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

from alcore.workflow.config import parse_config

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


@pytest.mark.parametrize("config", ["config.yaml", "configs/ablation.yaml", "configs/main.yaml"])
def test_dry_runs_build_the_expected_dag(config, tmp_path):
    output = run(tmp_path, "-n", "all_figures", config=ROOT / config)
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", output, flags=re.MULTILINE))
    cfg = parse_config(yaml.safe_load((ROOT / config).read_text()))
    selects = trains = 0
    for e in cfg.experiments.values():
        # strategies with equal settings (greedy, greedy_beam1) share their jobs
        arms = len({dataclasses.replace(cfg.strategies[s], name="") for s in e.strategies})
        for d in e.datasets.values():
            selects += arms * len(e.seeds) * d.rounds
            trains += len(e.seeds) * (1 + arms * d.rounds)
    assert int(counts["select"]) == selects
    assert int(counts["train"]) == trains
    assert int(counts["aggregate"]) == len(cfg.experiments)


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
