"""Per-experiment tables: the per-round files gathered into one table each, and the summary.

The gathered tables are :data:`~alcore.stages.schemas.EXPERIMENT_METRICS` and
:data:`~alcore.stages.schemas.EXPERIMENT_ACQUISITIONS`: the per-round rows under the strategy
that reports them, with that strategy's settings (kind, weighted, beam_width) on every row, so
that figures and summaries find an arm by its settings whatever the config calls it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from alcore.analysis.arms import with_arms
from alcore.files import Column, atomic_write, write_table
from alcore.settings import StrategySettings
from alcore.stages.schemas import EXPERIMENT_ACQUISITIONS, EXPERIMENT_METRICS

log = logging.getLogger(__name__)


def aggregate(
    metrics_files: Sequence[str],
    owners: Sequence[str],
    acquisition_files: Sequence[str],
    *,
    acquisition_owners: Sequence[str],
    strategies: Mapping[str, StrategySettings],
    metrics_out: str | Path,
    acquisitions_out: str | Path,
) -> None:
    """Write one metrics table (a row per dataset, strategy, seed, round) and one picks table.

    owners[i] is the strategy metrics_files[i] reports: the shared round-0 model is evaluated
    once and its row repeated under every strategy, so every learning curve starts at round 0
    (and a strategy whose settings equal an earlier one's reports that one's files).
    acquisition_owners[i], likewise, the strategy acquisition_files[i] reports. strategies:
    name -> settings of every owner, e.g. ``parse_config(config).strategies``. Raises
    ValueError for unreadable files, owner lists of another length, a duplicate row or an owner
    without settings.
    """
    from alcore.analysis.gather import gather_acquisitions, gather_metrics

    metrics = with_arms(gather_metrics(metrics_files, owners), strategies)
    picks = with_arms(gather_acquisitions(acquisition_files, acquisition_owners), strategies)
    _write(metrics, EXPERIMENT_METRICS, metrics_out)
    _write(picks, EXPERIMENT_ACQUISITIONS, acquisitions_out)
    log.info(
        "gathered %d metrics rows from %d files, %d picks from %d files",
        len(metrics), len(metrics_files), len(picks), len(acquisition_files),
    )  # fmt: skip


def summarize_to_files(
    metrics_path: str | Path, *, csv_out: str | Path, markdown_out: str | Path
) -> pd.DataFrame:
    """Summary statistics per dataset and strategy, as CSV and as a markdown table."""
    from alcore.analysis import format_summary, markdown_table, read_metrics, summarize

    summary = summarize(read_metrics(metrics_path))
    with atomic_write(csv_out) as temporary:
        summary.to_csv(temporary, index=False)
    with atomic_write(markdown_out) as temporary:
        temporary.write_text(markdown_table(format_summary(summary)) + "\n")
    return summary


def _write(frame: pd.DataFrame, schema: Sequence[Column], path: str | Path) -> None:
    """``frame``'s declared columns, in schema order and type (write_table checks them)."""
    write_table({c.name: frame[c.name].to_numpy() for c in schema}, schema, path)
