"""Fault injection on the real workflow: seeded SIGKILLs, corrupted and deleted files, edits."""

import os
import random
import shutil
import signal
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
import yaml
from workflow_runs import TINY, job_outputs, run, start, steps_run, wait_for_steps

pytestmark = pytest.mark.slow

KILLS = 10
ROUND = "results/tiny/blobs/{arm}/seed0/round{round}/{name}"


def results_files(workdir):
    return sorted(p.relative_to(workdir) for p in (workdir / "results").rglob("*") if p.is_file())


def assert_same_results(reference_dir, workdir):
    """Same files; every table and every checkpoint's weights equal; each file readable."""
    assert results_files(workdir) == results_files(reference_dir)
    for name in results_files(reference_dir):
        if name.suffix == ".parquet":
            expected = pq.read_table(reference_dir / name).to_pydict()
            np.testing.assert_equal(
                pq.read_table(workdir / name).to_pydict(), expected, err_msg=str(name)
            )
        elif name.suffix == ".pt":
            expected = torch.load(reference_dir / name, weights_only=True)["model_state"]
            got = torch.load(workdir / name, weights_only=True)["model_state"]
            assert all(torch.equal(got[k], v) for k, v in expected.items()), name


def test_ten_sigkills_at_random_moments_then_identical_results(reference, tmp_path, capsys):
    ref_dir, ref_output = reference
    total = steps_run(ref_output)
    rng = random.Random(20261124)
    done_before, rows, starts = set(), [], 0
    for kill in range(1, KILLS + 1):
        process, log = start(tmp_path, "all_figures", "--rerun-incomplete")
        # after 0-2 finished jobs of this run, then 0-3 s more: mid-job, mid-write or mid-startup
        target, delay = rng.randint(0, 2), rng.uniform(0.0, 3.0)
        if total - len(done_before) <= 8:  # few jobs left: kill during startup, so that the
            target, delay = 0, delay / 6  # later kills still find the run unfinished
        wait_for_steps(process, log, target)
        time.sleep(delay)
        assert process.poll() is None, "the run ended before its kill: too few jobs in the config"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        started, finished = job_outputs(log.read_text())
        redone = set(started.values()) & done_before
        assert not redone, f"kill {kill}: finished jobs started again: {redone}"
        done_before |= {started[j] for j in finished}
        starts += len(started)
        rows.append((kill, len(started), len(finished), len(started) - len(finished)))
        run(tmp_path, "--unlock")
    final = run(tmp_path, "all_figures", "--rerun-incomplete")
    started, _ = job_outputs(final)
    assert not set(started.values()) & done_before
    starts += len(started)
    assert_same_results(ref_dir, tmp_path)
    with capsys.disabled():
        print(f"\nfault injection: {KILLS} SIGKILLs of snakemake and its jobs (seed 20261124)")
        print("| kill | jobs started | jobs finished | jobs killed mid-way |")
        print("|---:|---:|---:|---:|")
        for row in rows:
            print("| {} | {} | {} | {} |".format(*row))
        print(f"| final run | {len(started)} | {len(started)} | 0 |")
        print(f"jobs in the DAG: {total}; job starts: {starts}; redone: {starts - total} "
              f"(only jobs killed mid-way); finished jobs redone: 0")  # fmt: skip


@pytest.fixture
def finished(reference, tmp_path):
    """A copy of the finished reference run to damage."""
    ref_dir, _ = reference
    for name in ("results", "logs", ".snakemake"):
        shutil.copytree(ref_dir / name, tmp_path / name)
    return tmp_path


def truncate(path):
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize(
    "damaged",
    [
        ROUND.format(arm="pweighted_beam4", round=2, name="embedding.parquet"),
        ROUND.format(arm="random", round=2, name="model.pt"),
        ROUND.format(arm="random", round=1, name="next_labelled.parquet"),
    ],
    ids=["parquet", "checkpoint", "labelled-set"],
)  # late in the DAG, so that healing reruns few jobs
def test_a_truncated_file_stops_its_reader_with_its_name_then_deleting_it_heals(
    damaged, reference, finished
):
    ref_dir, _ = reference
    truncate(finished / damaged)
    output = run(finished, "all_figures", check=False)
    assert "Error in rule" in output and f"{damaged}: not a readable" in output, output[-3000:]
    assert f"Delete {damaged} and rerun" in output  # the message says the fix
    (finished / damaged).unlink()
    run(finished, "all_figures")
    assert_same_results(ref_dir, finished)


def test_a_deleted_intermediate_is_rewritten_with_what_follows(reference, finished):
    ref_dir, _ = reference
    deleted = ROUND.format(arm="pweighted_beam4", round=2, name="embedding.parquet")
    (finished / deleted).unlink()
    output = run(finished, "all_figures")
    started = set(job_outputs(output)[0].values())
    assert {
        deleted,
        ROUND.format(arm="pweighted_beam4", round=2, name="metrics.parquet"),
    } <= started
    assert ROUND.format(arm="pweighted_beam4", round=2, name="model.pt") not in started
    assert_same_results(ref_dir, finished)


def changed_config(folder, change):
    config = yaml.safe_load(TINY.read_text())
    change(config)
    path = folder / "changed.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def would_run(workdir, config):
    """The first output of every job a dry run plans, with the reasons it gives."""
    output = run(workdir, "-n", "all_figures", config=config)
    return set(job_outputs(output)[0].values()), output


def test_a_changed_strategy_setting_reruns_that_strategy_only(finished):
    config = changed_config(
        finished, lambda c: c["strategies"]["pweighted_beam4"].update(beam_width=2)
    )
    planned, output = would_run(finished, config)
    per_round = {p for p in planned if "/seed0/" in p}
    assert per_round and all("/pweighted_beam4/" in p for p in per_round), per_round
    assert ROUND.format(arm="pweighted_beam4", round=0, name="acquisitions.parquet") in planned
    assert "Params have changed since last execution" in output


def test_a_changed_training_setting_reruns_every_model(finished):
    config = changed_config(
        finished, lambda c: c["experiments"]["tiny"]["datasets"]["blobs"].update(lr=0.02)
    )
    planned, _ = would_run(finished, config)
    assert len({p for p in planned if p.endswith("model.pt")}) == 5  # round 0, then 2 per strategy
