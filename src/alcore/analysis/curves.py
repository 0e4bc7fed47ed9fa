"""Learning curves: accuracy (or any metric) against the number of labels, over seeds.

``learning_curve`` averages a metric over seeds at each number of labels; ``area_under_curve``
and ``labels_to_reach`` summarise one run's curve by a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def learning_curve(metrics: pd.DataFrame, value: str = "test_accuracy") -> pd.DataFrame:
    """Mean and spread of ``value`` over seeds, per dataset, strategy and number of labels.

    metrics: a metrics table (see :data:`alcore.stages.schemas.METRICS`); value: a numeric column.
    Returns one row per (dataset, strategy, n_labels), sorted, with columns
    ``dataset, strategy, n_labels``, ``mean`` (mean over seeds, NaN values skipped), ``std``
    (sample standard deviation, ddof=1; NaN with a single seed) and ``n_seeds`` (seeds with a
    non-NaN value).
    """
    if value not in metrics.columns:
        raise ValueError(f"no column {value!r} in the metrics; columns: {list(metrics.columns)}")
    grouped = metrics.groupby(["dataset", "strategy", "n_labels"], sort=True)[value]
    curve = grouped.agg(mean="mean", std=lambda s: s.std(ddof=1), n_seeds="count")
    curve = curve.reset_index()
    curve["n_seeds"] = curve["n_seeds"].astype("int64")
    return curve


def area_under_curve(n_labels: np.ndarray, accuracy: np.ndarray) -> float:
    """Normalised area under one learning curve: a mean accuracy over the label range.

    n_labels: (R,) numbers of labels, accuracy: (R,) the accuracy at each (any order; sorted
    here). Returns the trapezoid area divided by ``max(n_labels) - min(n_labels)``, so a flat
    curve at accuracy a gives a; with a single point it returns that point's accuracy; NaN for
    no points.
    """
    x = np.asarray(n_labels, dtype=np.float64)
    y = np.asarray(accuracy, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"n_labels {x.shape} and accuracy {y.shape} must be equal-length 1-D")
    if x.size == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    width = x[-1] - x[0]
    if width == 0:
        return float(np.mean(y))
    return float(np.trapezoid(y, x) / width)


def labels_to_reach(n_labels: np.ndarray, accuracy: np.ndarray, target: float) -> float:
    """The first (smallest) number of labels at which ``accuracy >= target``; NaN if never.

    n_labels, accuracy: (R,) one run's curve in any order.
    """
    x = np.asarray(n_labels, dtype=np.float64)
    y = np.asarray(accuracy, dtype=np.float64)
    reached = x[y >= target]
    return float(reached.min()) if reached.size else float("nan")


def run_curves(metrics: pd.DataFrame) -> dict[tuple[str, str, int], pd.DataFrame]:
    """Each run's curve: (dataset, strategy, seed) -> its rows sorted by n_labels."""
    runs: dict[tuple[str, str, int], pd.DataFrame] = {}
    for (dataset, strategy, seed), run in metrics.groupby(
        ["dataset", "strategy", "seed"], sort=True
    ):
        runs[(str(dataset), str(strategy), int(seed))] = run.sort_values("n_labels")
    return runs
