"""Learning curves over seeds, area under the curve, labels to a target."""

import math

import numpy as np
import pandas as pd
import pytest

from alcore.analysis.curves import area_under_curve, labels_to_reach, learning_curve


def frame(rows: list[tuple[str, str, int, int, float]]) -> pd.DataFrame:
    """rows: (dataset, strategy, seed, n_labels, accuracy)."""
    df = pd.DataFrame(rows, columns=["dataset", "strategy", "seed", "n_labels", "test_accuracy"])
    df["round"] = df.groupby(["dataset", "strategy", "seed"]).cumcount()
    return df


def test_learning_curve_means_and_stds() -> None:
    df = frame(
        [
            ("d", "greedy", 0, 10, 0.5), ("d", "greedy", 1, 10, 0.7), ("d", "greedy", 2, 10, 0.6),
            ("d", "greedy", 0, 20, 0.8), ("d", "greedy", 1, 20, 0.8), ("d", "greedy", 2, 20, 0.8),
            ("d", "random", 0, 10, 0.4),
        ]
    )  # fmt: skip
    curve = learning_curve(df)
    assert list(curve.columns) == ["dataset", "strategy", "n_labels", "mean", "std", "n_seeds"]
    greedy = curve[curve["strategy"] == "greedy"].set_index("n_labels")
    # n=10: values 0.5, 0.7, 0.6 -> mean 0.6, deviations -0.1, 0.1, 0 -> var 0.02/2 -> sd 0.1
    assert greedy.loc[10, "mean"] == pytest.approx(0.6)
    assert greedy.loc[10, "std"] == pytest.approx(0.1)
    assert greedy.loc[20, "std"] == pytest.approx(0.0)
    assert list(greedy["n_seeds"]) == [3, 3]
    random = curve[curve["strategy"] == "random"].iloc[0]
    assert random["mean"] == pytest.approx(0.4) and math.isnan(random["std"])
    assert random["n_seeds"] == 1


def test_learning_curve_of_another_column_skips_nan() -> None:
    df = frame([("d", "s", 0, 10, 0.5), ("d", "s", 1, 10, 0.7)])
    df["weighted_radius"] = [2.0, np.nan]
    curve = learning_curve(df, "weighted_radius")
    assert curve.loc[0, "mean"] == 2.0 and curve.loc[0, "n_seeds"] == 1
    with pytest.raises(ValueError, match="no column 'nope'"):
        learning_curve(df, "nope")


def test_area_under_curve_is_a_mean_accuracy() -> None:
    # trapezoids over [0, 10], [10, 30]: 10*(0.2+0.4)/2 + 20*(0.4+0.8)/2 = 3 + 12 = 15 -> /30
    assert area_under_curve(np.array([30, 0, 10]), np.array([0.8, 0.2, 0.4])) == pytest.approx(0.5)
    assert area_under_curve(np.array([5, 9]), np.array([0.7, 0.7])) == pytest.approx(0.7)
    assert area_under_curve(np.array([5]), np.array([0.3])) == pytest.approx(0.3)
    assert math.isnan(area_under_curve(np.array([]), np.array([])))
    with pytest.raises(ValueError, match="equal-length"):
        area_under_curve(np.array([1, 2]), np.array([0.1]))


def test_labels_to_reach() -> None:
    n = np.array([30, 10, 20])
    acc = np.array([0.9, 0.5, 0.8])
    assert labels_to_reach(n, acc, 0.8) == 20
    assert labels_to_reach(n, acc, 0.5) == 10
    assert math.isnan(labels_to_reach(n, acc, 0.95))
