"""The workflow through a real one-node SLURM: both profiles, a cancelled job, GPU requests."""

import subprocess
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
from slurm_runs import (
    cluster_config,
    job_record,
    rule_of,
    run,
    start_slurm,
    submitted_ids,
    why_not_here,
    workflow,
)

REASON = why_not_here()
pytestmark = [pytest.mark.slow, pytest.mark.cluster]
if REASON:  # -ra prints the reason in the summary
    pytestmark.append(pytest.mark.skip(reason=f"SLURM tests skipped: {REASON}"))

METRICS = "results/tiny/metrics.parquet"
MODEL_RULES = {"train", "embed", "select", "evaluate"}


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    start_slurm()
    return cluster_config(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def local_run(config, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("local")
    run(workflow(workdir, config))
    return workdir


def same_metrics(a, b):
    np.testing.assert_equal(
        pq.read_table(a / METRICS).to_pydict(), pq.read_table(b / METRICS).to_pydict()
    )


def check_jobs(ids, capsys, label, cancelled=()):
    """Every job went through SLURM, model jobs with one GPU, the others without."""
    assert ids, "no sbatch job id in the output: the jobs did not go through SLURM"
    rules = {}
    for job_id in ids:
        record = job_record(job_id)
        rule = rules[job_id] = rule_of(record)
        asked_for_gpu = "gpu:1" in record.get("TresPerJob", "")
        assert asked_for_gpu == (rule in MODEL_RULES), (rule, record.get("TresPerJob"))
        expected = "CANCELLED" if job_id in cancelled else "COMPLETED"
        assert record["JobState"] == expected, (job_id, rule, record["JobState"])
    with capsys.disabled():
        print(f"\n{label}: sbatch job ids " + ", ".join(f"{i} ({rules[i]})" for i in ids))
    return rules


def running_job(rule, timeout=300.0):
    """The id of the first job of ``rule`` that SLURM reports as running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "-h", "-o", "%i|%T|%k"], capture_output=True, text=True)
        for line in queue.stdout.splitlines():
            job_id, state, comment = line.split("|", 2)
            if state == "RUNNING" and comment.startswith(f"rule_{rule}_wildcards"):
                return job_id
        time.sleep(0.2)
    raise AssertionError(f"no {rule} job ran within {timeout} s")


def test_slurm_profile_reports_a_cancelled_job_and_a_rerun_completes(
    config, local_run, tmp_path, capsys
):
    log = tmp_path / "first.out"
    with log.open("w") as sink:
        process = subprocess.Popen(
            workflow(tmp_path, config, "--retries", "0", profile="slurm"),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        cancelled = running_job("train")
        time.sleep(1.0)  # mid-epoch
        subprocess.run(["scancel", cancelled], check=True)
        assert process.wait(timeout=300) != 0
    finally:
        process.kill()
    first = log.read_text()
    assert "Error in rule train" in first and cancelled in first, first[-3000:]
    rerun = run(workflow(tmp_path, config, profile="slurm"))
    same_metrics(local_run, tmp_path)
    ids = submitted_ids(first) + submitted_ids(rerun)
    rules = check_jobs(ids, capsys, "slurm profile", cancelled={cancelled})
    assert sorted(rules.values()).count("train") == 3  # round 0 twice (cancelled, rerun), round 1


def test_generic_profile_submits_through_sbatch_and_matches_a_local_run(
    config, local_run, tmp_path, capsys
):
    output = run(workflow(tmp_path, config, profile="generic"))
    same_metrics(local_run, tmp_path)
    rules = check_jobs(submitted_ids(output), capsys, "generic profile")
    assert sorted(set(rules.values())) == sorted(MODEL_RULES | {"initial_labels"})
