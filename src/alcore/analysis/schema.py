"""The columns of the pipeline's two result tables, and checks that a frame has them.

``METRICS_COLUMNS`` describes the metrics parquet (one row per dataset, strategy, seed and round);
``ACQUISITION_COLUMNS`` the acquisitions parquet (one row per pick of one beam of one round). Both
map a column name to a dtype kind: ``"string"``, ``"integer"``, ``"float"`` or ``"list"`` (a list
of floats per row). Extra columns are allowed and kept.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api import types

METRICS_COLUMNS: dict[str, str] = {
    "dataset": "string",  # dataset name, e.g. "cifar10"
    "strategy": "string",  # strategy name, e.g. "pweighted_beam20"
    "seed": "integer",  # experiment seed (same seed = same initial labelled set)
    "round": "integer",  # active-learning round, 0 = the initial labelled set
    "n_labels": "integer",  # size of the labelled set the model was trained on
    "test_accuracy": "float",  # accuracy on the test set, in [0, 1]
    "test_loss": "float",  # mean cross-entropy on the test set
    "mean_doubt": "float",  # mean doubt 1 - max_y P(y|x) on the test set
    "radius": "float",  # core-set radius δ of the labelled set over the unlabelled pool
    "weighted_radius": "float",  # doubt-weighted radius δ̂ (NaN when not recorded)
    "per_class_accuracy": "list",  # accuracy of each class, list<float64>
}

ACQUISITION_COLUMNS: dict[str, str] = {
    "dataset": "string",
    "strategy": "string",
    "seed": "integer",
    "round": "integer",
    "beam_rank": "integer",  # 1 = the chosen beam; beam search stores all K beams
    "pick_order": "integer",  # 0 .. b-1, the order of the picks within the beam
    "index": "integer",  # row index of the pick in the pool
    "score": "float",  # the strategy's score of the pick when it was made
    "u": "float",  # the beam's U = mean -log confidence of its picks
}

METRICS_KEY: tuple[str, ...] = ("dataset", "strategy", "seed", "round")
ACQUISITION_KEY: tuple[str, ...] = (*METRICS_KEY, "beam_rank", "pick_order")

_KIND_DTYPE = {"string": "str", "integer": "int64", "float": "float64", "list": "list<float64>"}


def _has_kind(column: pd.Series, kind: str) -> bool:
    """Whether ``column`` holds values of dtype ``kind`` (ints pass as floats: lossless)."""
    dtype = column.dtype
    if kind == "string":
        if types.is_object_dtype(dtype):
            return all(isinstance(v, str) for v in column)
        return bool(types.is_string_dtype(dtype))
    if kind == "integer":
        return types.is_integer_dtype(dtype) and not types.is_bool_dtype(dtype)
    if kind == "float":
        return (types.is_float_dtype(dtype) or types.is_integer_dtype(dtype)) and not (
            types.is_bool_dtype(dtype)
        )
    if kind == "list":
        if isinstance(dtype, pd.ArrowDtype):
            return str(dtype.pyarrow_dtype).startswith(("list", "large_list"))
        return types.is_object_dtype(dtype) and all(
            isinstance(v, list | tuple | np.ndarray) for v in column.dropna()
        )
    raise ValueError(f"unknown dtype kind {kind!r}; expected one of {sorted(_KIND_DTYPE)}")


def check_columns(df: pd.DataFrame, columns: Mapping[str, str], table: str, source: str) -> None:
    """Raise ``ValueError`` naming ``source`` if ``df`` lacks a column of ``columns`` or one has
    the wrong dtype kind. ``table`` names the table in the message ("metrics", "acquisitions")."""
    missing = [name for name in columns if name not in df.columns]
    wrong = [
        f"{name} (expected {_KIND_DTYPE[kind]}, found {df[name].dtype})"
        for name, kind in columns.items()
        if name in df.columns and not _has_kind(df[name], kind)
    ]
    if not missing and not wrong:
        return
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    if wrong:
        problems.append(f"wrong dtypes: {', '.join(wrong)}")
    raise ValueError(
        f"{source}: not a valid {table} table: {'; '.join(problems)}. Expected columns "
        f"{ {name: _KIND_DTYPE[kind] for name, kind in columns.items()} }; rerun the stage that "
        "writes it"
    )


def check_metrics(df: pd.DataFrame, source: str) -> None:
    """Check that ``df`` has every column of :data:`METRICS_COLUMNS` with the right dtype kind;
    raise ``ValueError`` naming ``source`` (a file path or a description) otherwise."""
    check_columns(df, METRICS_COLUMNS, "metrics", source)


def check_acquisitions(df: pd.DataFrame, source: str) -> None:
    """Check that ``df`` has every column of :data:`ACQUISITION_COLUMNS` with the right dtype
    kind; raise ``ValueError`` naming ``source`` otherwise."""
    check_columns(df, ACQUISITION_COLUMNS, "acquisitions", source)
