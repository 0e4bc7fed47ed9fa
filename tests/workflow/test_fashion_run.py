"""configs/fashion_small.yaml through the real workflow on Debian's Fashion-MNIST files: the
CI-sized twin of the paper's ablation protocol (1,000 random labels, one round of 400, lenet5).

What it checks could fail: each arm adds exactly its budget of new pool indices, the core-set
arms pick differently from random, lenet5 learns the real images (far above chance), and the
summary and figures are written. Resuming and caching are tested on the tiny config
(test_workflow_runs.py, test_workflow_faults.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_runs import ROOT, run

pytestmark = pytest.mark.slow

SMALL = ROOT / "configs" / "fashion_small.yaml"


@pytest.fixture(scope="module")
def fashion_run(fashion_files, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("fashion_small")
    run(workdir, "all_figures", config=SMALL)
    return workdir


def test_the_small_protocol_runs_on_the_real_images(fashion_run):
    workdir = fashion_run
    config = yaml.safe_load(SMALL.read_text())
    (experiment,) = config["experiments"]
    settings = config["experiments"][experiment]["datasets"]["fashion_mnist"]
    results = workdir / config["results"] / experiment
    metrics = pd.read_parquet(results / "metrics.parquet")
    arms = config["experiments"][experiment]["strategies"]
    assert sorted(metrics["strategy"].unique()) == sorted(arms)
    last = settings["initial"] + settings["rounds"] * settings["budget"]
    assert sorted(metrics["n_labels"].unique()) == list(
        range(settings["initial"], last + 1, settings["budget"])
    )
    # ten balanced classes: chance is 0.10; LeNet-5 on 1,000 real labels is far above it
    assert metrics["test_accuracy"].min() > 0.6

    picks = pd.read_parquet(results / "acquisitions.parquet")
    chosen = picks[picks["beam_rank"] == 1]  # a beam arm also lists its other final beams
    by_arm = {arm: set(rows["index"]) for arm, rows in chosen.groupby("strategy")}
    for arm in arms:
        assert len(by_arm[arm]) == settings["rounds"] * settings["budget"], arm
    assert by_arm["greedy"] != by_arm["random"]
    assert (results / "summary.md").read_text().count("| fashion_mnist |") == len(arms)
    figures = workdir / config["results"] / "figures" / experiment
    assert all((figures / f"{name}.png").stat().st_size > 0 for name in ("figure5", "radius"))
