"""The columns of every parquet file the pipeline writes (the file contracts), in one place.

The stages write and read these tables through :func:`alcore.files.write_table` and
:func:`alcore.files.read_table`, which check every declared column and its arrow type; the
analysis reads the experiment tables the same way, so a column is declared here and nowhere else.

Per round (one file per job): :data:`LABELLED`, :data:`EMBEDDING`, :data:`ACQUISITIONS`,
:data:`METRICS`. Per experiment (``alcore.workflow.tables.aggregate``): :data:`EXPERIMENT_METRICS`
and :data:`EXPERIMENT_ACQUISITIONS`, the per-round rows of every run with the settings of the arm
that made them (:data:`ARM`), so that figures and summaries find an arm by what it does, not by
the name the config gives it.

Indices are pool row indices of :class:`alcore.data.DatasetBundle` (stable per dataset).
"""

from __future__ import annotations

import pyarrow as pa

from alcore.files import HALF_VECTOR, VECTOR, Column

LABELLED = (
    Column("index", pa.int64(), "pool index of a labelled item (unique)"),
    Column("round_added", pa.int64(), "-1 for the initial random labels, else the round"),
)

EMBEDDING = (
    Column("split", pa.string(), '"pool" or "test"'),
    Column("index", pa.int64(), "row index within its split"),
    Column("label", pa.int64(), "true class"),
    Column("labelled", pa.bool_(), "in the labelled set the model was trained on (pool only)"),
    Column("probs", VECTOR, "softmax class probabilities, C floats"),
    Column("doubt", pa.float32(), "1 - max probability"),
    Column(
        "features",
        VECTOR,
        "input of the final linear layer, F floats (float16 with feature_dtype: float16)",
        also=(HALF_VECTOR,),
    ),
)

ACQUISITIONS = (
    Column("dataset", pa.string(), "dataset name"),
    Column("strategy", pa.string(), "strategy name from the config"),
    Column("seed", pa.int64(), "experiment seed"),
    Column("round", pa.int64(), "round whose model made the selection"),
    Column("beam_rank", pa.int64(), "1 = the chosen selection; 2.. = the other final beams"),
    Column("pick_order", pa.int64(), "0-based position in the selection order"),
    Column("index", pa.int64(), "pool index picked"),
    Column("score", pa.float64(), "score at pick time (m, doubt*m or the uncertainty)"),
    Column("doubt", pa.float64(), "doubt 1 - max P(y|x) of the pick (NaN: no probabilities)"),
    Column("u", pa.float64(), "U of the beam: mean -log confidence of its picks"),
    Column("radius_before", pa.float64(), "core-set radius of the labelled set (NaN: no features)"),
    Column("radius_after", pa.float64(), "core-set radius with the chosen picks added"),
    Column("weighted_radius_before", pa.float64(), "doubt-weighted radius before"),
    Column("weighted_radius_after", pa.float64(), "doubt-weighted radius after"),
)

METRICS = (
    Column("dataset", pa.string(), "dataset name"),
    Column("strategy", pa.string(), "strategy name (round 0 is shared: its rows repeat)"),
    Column("seed", pa.int64(), "experiment seed"),
    Column("round", pa.int64(), "round of the evaluated model"),
    Column("n_labels", pa.int64(), "labels the model was trained on"),
    Column("test_accuracy", pa.float64(), "accuracy on the test set"),
    Column("test_loss", pa.float64(), "mean cross-entropy on the test set"),
    Column("mean_doubt", pa.float64(), "mean doubt on the test set"),
    Column("radius", pa.float64(), "core-set radius of the labelled set over the pool (or NaN)"),
    Column("weighted_radius", pa.float64(), "doubt-weighted radius (or NaN)"),
    Column("per_class_accuracy", pa.list_(pa.float64()), "test accuracy per class"),
)

# The settings of the arm (alcore.settings.StrategySettings, less its name) that made a row.
ARM = (
    Column("kind", pa.string(), "alcore.select strategy kind (random, coreset, ...)"),
    Column("weighted", pa.bool_(), "core-set distances weighted by doubt"),
    Column("beam_width", pa.int64(), "beams of the core-set beam search; 1 = greedy"),
    Column("passes", pa.int64(), "bald's stochastic forward passes (the default elsewhere)"),
)

EXPERIMENT_METRICS = (*METRICS, *ARM)  # <results>/<experiment>/metrics.parquet
EXPERIMENT_ACQUISITIONS = (*ACQUISITIONS, *ARM)  # <results>/<experiment>/acquisitions.parquet

# The columns that identify a row: each occurs once per table (a run's round written twice is
# a stale file, refused by alcore.analysis.gather).
METRICS_KEY: tuple[str, ...] = ("dataset", "strategy", "seed", "round")
ACQUISITIONS_KEY: tuple[str, ...] = (*METRICS_KEY, "beam_rank", "pick_order")
