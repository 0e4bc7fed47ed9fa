"""Schema checks of the metrics and acquisitions tables."""

import numpy as np
import pandas as pd
import pytest

from alcore.analysis.schema import (
    ACQUISITION_COLUMNS,
    METRICS_COLUMNS,
    check_acquisitions,
    check_metrics,
)
from alcore.analysis.synthetic import synthetic_acquisitions, synthetic_metrics


def test_synthetic_tables_pass_the_checks() -> None:
    check_metrics(synthetic_metrics(seeds=1, rounds=2), "synthetic")
    check_acquisitions(synthetic_acquisitions(50, seeds=1, rounds=2, budget=5), "synthetic")


def test_columns_cover_the_documented_schema() -> None:
    assert list(METRICS_COLUMNS) == [
        "dataset", "strategy", "seed", "round", "n_labels", "test_accuracy", "test_loss",
        "mean_doubt", "radius", "weighted_radius", "per_class_accuracy",
    ]  # fmt: skip
    assert list(ACQUISITION_COLUMNS) == [
        "dataset", "strategy", "seed", "round", "beam_rank", "pick_order", "index", "score", "u",
    ]  # fmt: skip


def test_missing_column_is_named_with_the_source() -> None:
    df = synthetic_metrics(seeds=1, rounds=2).drop(columns=["radius"])
    with pytest.raises(ValueError, match=r"runs/a\.parquet.*missing columns \['radius'\]"):
        check_metrics(df, "runs/a.parquet")


def test_wrong_dtype_is_named() -> None:
    df = synthetic_metrics(seeds=1, rounds=2)
    df["seed"] = df["seed"].astype("float64")
    df["per_class_accuracy"] = 0.5
    with pytest.raises(ValueError, match=r"seed \(expected int64, found float64\)") as error:
        check_metrics(df, "m.parquet")
    assert "per_class_accuracy (expected list<float64>" in str(error.value)


def test_integer_floats_and_extra_columns_are_accepted() -> None:
    df = synthetic_acquisitions(30, seeds=1, rounds=1, budget=3)
    df["score"] = np.arange(len(df))  # int64 where float64 is expected: lossless
    df["extra"] = "kept"
    check_acquisitions(df, "a.parquet")


def test_non_string_names_are_rejected() -> None:
    df = synthetic_acquisitions(30, seeds=1, rounds=1, budget=3)
    df["strategy"] = pd.Series([1] * len(df), dtype=object)
    with pytest.raises(ValueError, match=r"strategy \(expected str"):
        check_acquisitions(df, "a.parquet")
