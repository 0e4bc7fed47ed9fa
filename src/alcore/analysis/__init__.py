"""Analysis of the pipeline's result tables: pure functions over DataFrames, no plotting.

* :mod:`~alcore.analysis.gather`: read parquet files (checked against
  :mod:`alcore.stages.schemas`), concatenate and sort them.
* :mod:`~alcore.analysis.arms`: find arms by their settings (kind, weighted, beam width).
* :mod:`~alcore.analysis.curves`: learning curves over seeds, AULC, labels to a target.
* :mod:`~alcore.analysis.stats`: paired t-test and Cohen's d_z across seeds.
* :mod:`~alcore.analysis.summary`: one summary row per dataset and strategy.
* :mod:`~alcore.analysis.markdown`: Markdown tables.
* :mod:`~alcore.analysis.theory`: the paper's lower bound on β (Equations 11-12).
* :mod:`~alcore.analysis.warp`: the doubt-warped distance field (Figure 3).
* :mod:`~alcore.analysis.synthetic`: synthetic tables for tests and previews.
"""

from alcore.analysis.arms import ARM_COLUMNS, Role, arm_order, arm_table, find_arms, with_arms
from alcore.analysis.curves import area_under_curve, labels_to_reach, learning_curve
from alcore.analysis.gather import (
    gather,
    gather_acquisitions,
    gather_metrics,
    read_acquisitions,
    read_frame,
    read_metrics,
)
from alcore.analysis.markdown import format_summary, markdown_table
from alcore.analysis.stats import PairedTest, paired_test
from alcore.analysis.summary import REFERENCES, summarize
from alcore.analysis.theory import (
    beta_lower_bound,
    delta_star,
    log_error_integral,
    quadratic_threshold,
)
from alcore.analysis.warp import grid_points, warped_field

__all__ = [
    "ARM_COLUMNS",
    "REFERENCES",
    "PairedTest",
    "Role",
    "area_under_curve",
    "arm_order",
    "arm_table",
    "beta_lower_bound",
    "delta_star",
    "find_arms",
    "format_summary",
    "gather",
    "gather_acquisitions",
    "gather_metrics",
    "grid_points",
    "labels_to_reach",
    "learning_curve",
    "log_error_integral",
    "markdown_table",
    "paired_test",
    "quadratic_threshold",
    "read_acquisitions",
    "read_frame",
    "read_metrics",
    "summarize",
    "warped_field",
    "with_arms",
]
