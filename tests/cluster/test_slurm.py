"""The workflow through a real one-node SLURM: both profiles, a cancelled job, GPU requests, one
cluster job per model round (the profiles' groups)."""

import subprocess
import time
from collections import Counter

import numpy as np
import pyarrow.parquet as pq
import pytest
from slurm_runs import (
    ROUND_RULES,
    cluster_config,
    expected_groups,
    group_of,
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
    """Every job went through SLURM, model jobs (and rounds' groups) with one GPU, the others
    without. Returns job id -> rule, or group and rules (rule_of)."""
    assert ids, "no sbatch job id in the output: the jobs did not go through SLURM"
    rules = {}
    for job_id in ids:
        record = job_record(job_id)
        rule = rules[job_id] = rule_of(record)
        gpus = record.get("TresPerJob", "")  # gres:gpu:1; a group's GPUs are not summed
        model_job = rule in MODEL_RULES or group_of(rule) is not None
        assert ("gpu:1" in gpus) == model_job, (rule, gpus)
        expected = "CANCELLED" if job_id in cancelled else "COMPLETED"
        assert record["JobState"] == expected, (job_id, rule, record["JobState"])
    with capsys.disabled():
        print(f"\n{label}: sbatch job ids " + ", ".join(f"{i} ({rules[i]})" for i in ids))
    return rules


def running_job(name, timeout=300.0):
    """The id of the first job whose slurm plugin comment starts with rule_``name`` (a rule's
    name and _wildcards, or a group's) that SLURM reports as running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "-h", "-o", "%i|%T|%k"], capture_output=True, text=True)
        for line in queue.stdout.splitlines():
            job_id, state, comment = line.split("|", 2)
            if state == "RUNNING" and comment.startswith(f"rule_{name}"):
                return job_id
        time.sleep(0.2)
    raise AssertionError(f"no {name} job ran within {timeout} s")


def one_job_per_round(rules, config):
    """The rounds' train, embed and evaluate went as one sbatch job per round: job counts of
    each round's group and of the other rules."""
    assert not set(rules.values()) & set(ROUND_RULES), rules  # none as a job of its own
    kinds = Counter(group_of(rule) or rule for rule in rules.values())
    assert {kind for kind in kinds if kind.startswith("model_")} == expected_groups(config)
    return kinds


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
    first_round = "model_tiny_blobs_initial_seed0_round0"
    try:
        cancelled = running_job(first_round)  # round 0's train, embed and evaluate
        time.sleep(1.0)  # while its first job runs
        subprocess.run(["scancel", cancelled], check=True)
        assert process.wait(timeout=300) != 0
    finally:
        process.kill()
    first = log.read_text()
    assert f"Error in group {first_round}" in first and cancelled in first, first[-3000:]
    rerun = run(workflow(tmp_path, config, profile="slurm"))
    same_metrics(local_run, tmp_path)
    ids = submitted_ids(first) + submitted_ids(rerun)
    rules = check_jobs(ids, capsys, "slurm profile", cancelled={cancelled})
    kinds = one_job_per_round(rules, config)
    # round 0 twice (cancelled, rerun), round 1 once, where there were 3 jobs per round
    assert kinds[first_round] == 2 and sum(kinds.values()) == 5, kinds


# per-rule resources that tell a group's sum from its maximum: a group job asks for the sum of
# its jobs' runtimes (minutes) and the largest memory, GPUs and threads
RUNTIME = {"train": 10, "embed": 4, "evaluate": 3}
MEM_MB = {"train": 1000, "embed": 900, "evaluate": 800}


def test_generic_profile_submits_one_job_per_round_and_matches_a_local_run(
    config, local_run, tmp_path, capsys
):
    resources = [f"{rule}:runtime={value}" for rule, value in RUNTIME.items()]
    resources += [f"{rule}:mem_mb={value}" for rule, value in MEM_MB.items()]
    output = run(workflow(tmp_path, config, "--set-resources", *resources, profile="generic"))
    same_metrics(local_run, tmp_path)
    rules = check_jobs(submitted_ids(output), capsys, "generic profile")
    kinds = one_job_per_round(rules, config)
    # 4 sbatch jobs where one job per rule made 8: initial labels, round 0, select, round 1
    assert kinds == Counter(initial_labels=1, select=1) + Counter(expected_groups(config))
    for job_id, rule in rules.items():
        if group_of(rule):
            record = job_record(job_id)
            limit, memory = record["TimeLimit"], record["MinMemoryNode"]
            assert limit == f"00:{sum(RUNTIME.values())}:00", (rule, limit)  # 17 minutes
            assert memory == f"{max(MEM_MB.values())}M", (rule, memory)
            assert record["NumCPUs"] == "1", (rule, record["NumCPUs"])  # config threads: 1
