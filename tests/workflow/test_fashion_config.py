"""configs/fashion.yaml holds the paper's two protocols on Fashion-MNIST, as the issue fixed them
before any selection arm ran, and configs/fashion_small.yaml is the same protocol, only shrunk.

Parse-only (``parse_config`` on the YAML, which checks the schema first): nothing here runs the
workflow. A change to a protocol must change this file too, on purpose.
"""

from pathlib import Path

import pytest
import yaml

from alcore.workflow.config import WorkflowConfig, parse_config

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "configs" / "fashion.yaml"
SMALL = ROOT / "configs" / "fashion_small.yaml"

# (kind, weighted, beam_width) of each arm the issue names
ARMS = {
    "random": ("random", False, 1),
    "greedy": ("coreset", False, 1),
    "greedy_beam20": ("coreset", False, 20),
    "pweighted_beam1": ("coreset", True, 1),
    "pweighted_beam10": ("coreset", True, 10),
    "pweighted_beam20": ("coreset", True, 20),
}
# experiment: (initial, budget, least rounds, arms, figure)
PROTOCOLS = {
    # Figure 5's protocol: 1,000 random initial labels, 400 a round, at least 5 rounds
    "fashion_ablation": (
        1000, 400, 5,
        ("random", "greedy", "greedy_beam20", "pweighted_beam1", "pweighted_beam20"),
        "figure5",
    ),
    # Figure 6's protocol scaled to the pool: 5,000 initial, 5,000 a round, at least 3 rounds
    "fashion_budgets": (5000, 5000, 3, ("random", "greedy", "pweighted_beam10"), "figure6"),
}  # fmt: skip
SEEDS = 5
# the training protocol fixed by benchmarks/epochs.py before any selection arm ran (the
# numbers and the command are in configs/fashion.yaml's comments)
MODEL, LR, BATCH_SIZE = "lenet5", 0.001, 64
EPOCHS = {"fashion_ablation": (78, 27), "fashion_budgets": (54, 26)}  # (first, thereafter)


def parsed(path: Path) -> WorkflowConfig:
    return parse_config(yaml.safe_load(path.read_text()))


@pytest.fixture(scope="module")
def full() -> WorkflowConfig:
    return parsed(FULL)


@pytest.fixture(scope="module")
def small() -> WorkflowConfig:
    return parsed(SMALL)


def only_dataset(config: WorkflowConfig, experiment: str):
    (settings,) = config.experiments[experiment].datasets.values()
    return settings


def arm_settings(config: WorkflowConfig, name: str) -> tuple[str, bool, int]:
    strategy = config.strategies[name]
    return strategy.kind, strategy.weighted, strategy.beam_width


@pytest.mark.parametrize("experiment", sorted(PROTOCOLS))
def test_the_full_config_holds_the_issues_protocol(full, experiment):
    initial, budget, least_rounds, arms, figure = PROTOCOLS[experiment]
    found = full.experiments[experiment]
    settings = only_dataset(full, experiment)
    assert settings.name == "fashion_mnist"
    assert (settings.initial_size, settings.budget) == (initial, budget)
    assert settings.rounds >= least_rounds
    assert found.strategies == arms
    assert {name: arm_settings(full, name) for name in arms} == {name: ARMS[name] for name in arms}
    assert len(set(found.seeds)) == SEEDS
    assert figure in found.figures


def test_the_full_config_has_nothing_else(full):
    assert sorted(full.experiments) == sorted(PROTOCOLS)


@pytest.mark.parametrize("experiment", sorted(PROTOCOLS))
def test_training_is_fixed_from_the_measurements(full, experiment):
    train = only_dataset(full, experiment).train
    assert (train.model, train.lr, train.batch_size) == (MODEL, LR, BATCH_SIZE)
    assert (train.epochs_first, train.epochs_thereafter) == EPOCHS[experiment]
    # the paper's round: warm start, fresh Adam, no augmentation, full precision
    assert (train.warm_start, train.augment, train.precision, train.pretrained) == (
        True, False, "fp32", False,
    )  # fmt: skip


def test_the_small_config_is_the_same_protocol_shrunk(full, small):
    assert small.experiments, "fashion_small.yaml runs no experiment"
    assert set(small.experiments) <= set(full.experiments)
    for name, experiment in small.experiments.items():
        big = full.experiments[name]
        settings, reference = only_dataset(small, name), only_dataset(full, name)
        # the same data, model, training and label schedule: only seeds, rounds and arms shrink
        assert settings.name == reference.name
        assert settings.train == reference.train
        assert (settings.initial_size, settings.budget) == (
            reference.initial_size, reference.budget,
        )  # fmt: skip
        assert 1 <= settings.rounds <= reference.rounds
        assert set(experiment.seeds) <= set(big.seeds)
        assert set(experiment.strategies) <= set(big.strategies)
        assert "random" in experiment.strategies
        for arm in experiment.strategies:
            assert arm_settings(small, arm) == ARMS[arm]
