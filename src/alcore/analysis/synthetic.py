"""Synthetic result tables with the pipeline's schema, for tests, demos and figure previews.

The learning curves are saturating exponentials with a per-strategy gain and per-seed noise; they
look like results but mean nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alcore.analysis.schema import ACQUISITION_COLUMNS, METRICS_COLUMNS

# accuracy gain of each strategy over random, as a fraction of the remaining headroom
_GAIN = {
    "random": 0.0,
    "greedy": 0.02,
    "greedy_beam1": 0.02,
    "greedy_beam20": 0.025,
    "pweighted_beam1": 0.05,
    "pweighted_beam10": 0.08,
    "pweighted_beam20": 0.09,
    "least_confidence": -0.04,
    "entropy": -0.05,
    "margin": 0.01,
}
_WEIGHTED = ("pweighted", "least_confidence", "entropy", "margin")


def synthetic_metrics(
    datasets: Sequence[str] = ("cifar10",),
    strategies: Sequence[str] = ("random", "greedy", "pweighted_beam20"),
    seeds: int = 3,
    rounds: int = 6,
    initial: int = 1000,
    budget: int = 400,
    n_classes: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """A metrics table (``METRICS_COLUMNS``) of ``rounds`` rounds for every dataset, strategy
    and seed 0..seeds-1; ``n_labels = initial + round·budget``. ``weighted_radius`` is NaN for
    strategies without doubt-weighting. Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    rows = []
    for d, dataset in enumerate(datasets):
        ceiling = 0.9 - 0.25 * d
        for strategy in strategies:
            gain = _GAIN.get(strategy, 0.0)
            weighted = strategy.startswith(_WEIGHTED)
            for s in range(seeds):
                offset = rng.normal(0, 0.01)
                for r in range(rounds):
                    n = initial + r * budget
                    base = ceiling * (1 - 0.6 * np.exp(-n / (2.0 * initial)))
                    accuracy = base + gain * (ceiling - base) * r + offset + rng.normal(0, 0.006)
                    radius = 3.0 * (n / initial) ** -0.35 * (1 - 0.05 * gain) + rng.normal(0, 0.02)
                    rows.append(
                        {
                            "dataset": dataset,
                            "strategy": strategy,
                            "seed": s,
                            "round": r,
                            "n_labels": n,
                            "test_accuracy": float(np.clip(accuracy, 0, 1)),
                            "test_loss": float(2.3 * (1 - accuracy) + rng.normal(0, 0.02)),
                            "mean_doubt": float((1 - accuracy) * 0.8),
                            "radius": float(radius),
                            "weighted_radius": float(radius * 0.3) if weighted else np.nan,
                            "per_class_accuracy": list(
                                np.clip(accuracy + rng.normal(0, 0.05, n_classes), 0, 1)
                            ),
                        }
                    )
    df = pd.DataFrame(rows, columns=list(METRICS_COLUMNS))
    return df.astype({"seed": "int64", "round": "int64", "n_labels": "int64"})


def synthetic_acquisitions(
    n_pool: int,
    strategies: Sequence[str] = ("random", "greedy", "pweighted_beam20"),
    dataset: str = "toy",
    seeds: int = 2,
    rounds: int = 4,
    budget: int = 20,
    beams: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """An acquisitions table (``ACQUISITION_COLUMNS``): per run and round, ``beams`` beams of
    ``budget`` distinct pool indices never picked in an earlier round of the run; beam rank 1
    has the highest U. Requires ``rounds * budget * beams <= n_pool``."""
    if rounds * budget * beams > n_pool:
        raise ValueError(f"rounds*budget*beams={rounds * budget * beams} exceeds n_pool={n_pool}")
    rng = np.random.default_rng(seed)
    rows = []
    for strategy in strategies:
        for s in range(seeds):
            order = rng.permutation(n_pool)
            cursor = 0
            for r in range(rounds):
                us = np.sort(rng.uniform(0.2, 1.0, beams))[::-1]
                for k in range(beams):
                    picks = order[cursor : cursor + budget]
                    cursor += budget
                    for j, index in enumerate(picks):
                        rows.append(
                            {
                                "dataset": dataset,
                                "strategy": strategy,
                                "seed": s,
                                "round": r,
                                "beam_rank": k + 1,
                                "pick_order": j,
                                "index": int(index),
                                "score": float(rng.uniform()),
                                "u": float(us[k]),
                            }
                        )
    df = pd.DataFrame(rows, columns=list(ACQUISITION_COLUMNS))
    return df.astype({c: "int64" for c, k in ACQUISITION_COLUMNS.items() if k == "integer"})
