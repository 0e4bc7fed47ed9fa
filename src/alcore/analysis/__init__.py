"""Analysis of the pipeline's result tables: pure functions over DataFrames, no plotting.

* :mod:`~alcore.analysis.schema`: the columns of the metrics and acquisitions tables, checks.
* :mod:`~alcore.analysis.gather`: read, check, concatenate and sort parquet files.
* :mod:`~alcore.analysis.curves`: learning curves over seeds, AULC, labels to a target.
* :mod:`~alcore.analysis.stats`: paired t-test and Cohen's d_z across seeds.
* :mod:`~alcore.analysis.summary`: one summary row per dataset and strategy.
* :mod:`~alcore.analysis.markdown`: Markdown tables.
* :mod:`~alcore.analysis.theory`: the paper's lower bound on β (Equations 11-12).
* :mod:`~alcore.analysis.warp`: the doubt-warped distance field (Figure 3).
* :mod:`~alcore.analysis.synthetic`: synthetic tables for tests and previews.
"""

from alcore.analysis.curves import area_under_curve, labels_to_reach, learning_curve
from alcore.analysis.gather import gather_acquisitions, gather_metrics, read_parquet
from alcore.analysis.markdown import format_summary, markdown_table
from alcore.analysis.schema import (
    ACQUISITION_COLUMNS,
    ACQUISITION_KEY,
    METRICS_COLUMNS,
    METRICS_KEY,
    check_acquisitions,
    check_metrics,
)
from alcore.analysis.stats import PairedTest, paired_test
from alcore.analysis.summary import summarize
from alcore.analysis.theory import (
    beta_lower_bound,
    delta_star,
    log_error_integral,
    quadratic_threshold,
)
from alcore.analysis.warp import grid_points, warped_field

__all__ = [
    "ACQUISITION_COLUMNS",
    "ACQUISITION_KEY",
    "METRICS_COLUMNS",
    "METRICS_KEY",
    "PairedTest",
    "area_under_curve",
    "beta_lower_bound",
    "check_acquisitions",
    "check_metrics",
    "delta_star",
    "format_summary",
    "gather_acquisitions",
    "gather_metrics",
    "grid_points",
    "labels_to_reach",
    "learning_curve",
    "log_error_integral",
    "markdown_table",
    "paired_test",
    "quadratic_threshold",
    "read_parquet",
    "summarize",
    "warped_field",
]
