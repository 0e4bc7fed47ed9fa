"""The workflow's file lists (alcore.workflow.dag) on small configs written out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alcore.workflow.config import parse_config
from alcore.workflow.dag import Dag, Run

ROOT = Path(__file__).resolve().parents[2]


def config(strategies=("random", "greedy", "greedy_beam1", "pweighted"), **changes):
    dataset = {"model": "mlp", "initial": 10, "budget": 10, "rounds": 2,
               "epochs": {"first": 2, "thereafter": 1}, "lr": 0.01}  # fmt: skip
    dataset.update(changes.pop("dataset", {}))
    raw = {
        "results": "out",
        "strategies": {
            "random": {"kind": "random"},
            "greedy": {"kind": "coreset"},
            "greedy_beam1": {"kind": "coreset", "beam_width": 1},
            "pweighted": {"kind": "coreset", "weighted": True, "beam_width": 4},
        },
        "experiments": {
            "e": {"datasets": {"blobs": dataset}, "strategies": list(strategies), "seeds": [0, 1],
                  "figures": ["figure3", "figure4", "figure7"]}
        },
    }  # fmt: skip
    raw.update(changes)
    return Dag(parse_config(raw))


def test_strategies_with_the_same_settings_share_one_arm():
    dag = config()
    assert dag.job_arm("e", "greedy_beam1") == "greedy"
    assert dag.job_arm("e", "greedy") == "greedy" and dag.job_arm("e", "pweighted") == "pweighted"
    # the first listed computes, whichever name it has
    assert config(strategies=("greedy_beam1", "greedy")).job_arm("e", "greedy") == "greedy_beam1"
    assert {r.strategy for r in dag.computed_runs("e")} == {"random", "greedy", "pweighted"}
    assert not any("/greedy_beam1/" in f for f in dag.every_round_file())


def test_a_shared_arm_is_reported_under_both_names():
    dag = config()
    files, owners = dag.experiment_metrics("e"), dag.metrics_owners("e")
    assert len(files) == len(owners) == 4 * 2 * 3  # strategies x seeds x rounds 0..2
    greedy = [f for f, o in zip(files, owners, strict=True) if o == "greedy"]
    beam1 = [f for f, o in zip(files, owners, strict=True) if o == "greedy_beam1"]
    assert greedy == beam1 and "out/e/blobs/greedy/seed1/round2/metrics.parquet" in beam1
    picks, pick_owners = dag.experiment_acquisitions("e"), dag.acquisitions_owners("e")
    assert len(picks) == len(pick_owners) == 4 * 2 * 2  # rounds 0..1 pick
    assert picks.count("out/e/blobs/greedy/seed0/round1/acquisitions.parquet") == 2


def test_round_zero_is_shared_and_embedded_when_any_strategy_needs_it():
    dag = config()
    assert dag.run_metrics("e", Run("blobs", "random", 1))[0] == (
        "out/e/blobs/initial/seed1/round0/metrics.parquet"
    )
    assert dag.needs_embedding("e", "initial") and not dag.needs_embedding("e", "random")
    only_random = config(strategies=("random",))
    assert not only_random.needs_embedding("e", "initial")
    assert not any(f.endswith("embedding.parquet") for f in only_random.every_round_file())


def test_one_jobs_inputs():
    dag = config()
    assert dag.labelled("e", "blobs", "greedy", 0, 0) == (
        "out/e/blobs/initial/seed0/round0/labelled.parquet"
    )
    assert dag.labelled("e", "blobs", "greedy", 0, 2) == (
        "out/e/blobs/greedy/seed0/round1/next_labelled.parquet"
    )
    assert dag.previous_model("e", "blobs", "greedy", 0, 0) == []
    assert dag.previous_model("e", "blobs", "greedy", 0, 1) == (
        "out/e/blobs/initial/seed0/round0/model.pt"
    )
    cold = config(dataset={"warm_start": False})
    assert cold.previous_model("e", "blobs", "greedy", 0, 2) == []
    assert dag.select_embedding("e", "blobs", "random", 0, 1) == []
    assert dag.select_embedding("e", "blobs", "greedy", 0, 1) == (
        "out/e/blobs/greedy/seed0/round1/embedding.parquet"
    )
    assert dag.evaluate_inputs("e", "blobs", "random", 0, 1) == {
        "model": "out/e/blobs/random/seed0/round1/model.pt"
    }
    assert dag.evaluate_inputs("e", "blobs", "initial", 0, 0) == {
        "embedding": "out/e/blobs/initial/seed0/round0/embedding.parquet"
    }


def test_checkpoints_kept_are_all_or_the_last_rounds():
    every = config().every_round_file()
    last = config(keep_checkpoints="last").every_round_file()
    models = sorted(f for f in every if f.endswith("model.pt"))
    assert len(models) == 2 * (1 + 3 * 2)  # seeds x (round 0 + 3 arms x rounds 1..2)
    assert sorted(f for f in last if f.endswith("model.pt")) == [f for f in models if "round2" in f]
    assert set(every) - set(last) == set(models) - {f for f in models if "round2" in f}


def test_figure_inputs():
    dag = config()
    assert dag.figure_inputs("e", "figure7") == {}
    assert dag.figure_inputs("e", "figure3") == {
        "acquisitions": "out/e/acquisitions.parquet",
        "model": "out/e/blobs/initial/seed0/round0/model.pt",
    }
    assert dag.figure_inputs("e", "figure4")["embedding"] == (
        "out/e/blobs/initial/seed0/round0/embedding.parquet"
    )
    assert dag.figure_inputs("e", "figure5") == {"metrics": "out/e/metrics.parquet"}
    assert dag.all_figure_files() == [f"out/figures/e/figure{k}.png" for k in (3, 4, 7)]


def test_the_default_config_computes_greedy_once():
    dag = Dag(parse_config(yaml.safe_load((ROOT / "config.yaml").read_text())))
    files = dag.every_round_file()
    assert any("/ablation_digits/digits/greedy/" in f for f in files)
    assert not any("/greedy_beam1/" in f for f in files)
    assert "greedy_beam1" in dag.metrics_owners("ablation_digits")


def test_a_round_beyond_the_config_is_refused():
    dag = config()  # rounds 0..2: picks in rounds 0..1
    dag.check_round("e", "blobs", 2, picks=False)
    dag.check_round("e", "blobs", 1, picks=True)
    with pytest.raises(ValueError, match=r"models of rounds 0\.\.2 but a target asks for round 3"):
        dag.check_round("e", "blobs", 3, picks=False)
    with pytest.raises(ValueError, match=r"picks of rounds 0\.\.1 .* round 2: ask for a round"):
        dag.check_round("e", "blobs", 2, picks=True)
