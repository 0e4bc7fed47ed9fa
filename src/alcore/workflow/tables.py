"""Per-experiment tables: gather the per-round files, and the statistics summary."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alcore.files import atomic_write

log = logging.getLogger(__name__)


def aggregate(
    metrics_files: Sequence[str],
    owners: Sequence[str],
    acquisition_files: Sequence[str],
    *,
    metrics_out: str | Path,
    acquisitions_out: str | Path,
) -> None:
    """Write one metrics table (a row per dataset, strategy, seed, round) and one picks table.

    owners[i] is the strategy metrics_files[i] belongs to: the shared round-0 model is evaluated
    once and its row repeated under every strategy, so every learning curve starts at round 0.
    """
    from alcore.analysis import check_metrics, gather_acquisitions, read_parquet

    if len(metrics_files) != len(owners):
        raise ValueError(f"{len(metrics_files)} metrics files but {len(owners)} owners")
    frames = []
    for path, owner in zip(metrics_files, owners, strict=True):
        frame = read_parquet(path)
        frame["strategy"] = owner
        frames.append(frame)
    metrics = pd.concat(frames, ignore_index=True)
    key = ["dataset", "strategy", "seed", "round"]
    check_metrics(metrics, "the gathered metrics")
    duplicated = metrics.duplicated(key)
    if duplicated.any():
        raise ValueError(f"duplicate metrics rows: {metrics[duplicated][key].to_dict('records')}")
    _write(metrics.sort_values(key, ignore_index=True), metrics_out)
    _write(gather_acquisitions(list(acquisition_files)), acquisitions_out)
    log.info("gathered %d metrics rows from %d files", len(metrics), len(metrics_files))


def summarize_to_files(
    metrics_path: str | Path, *, csv_out: str | Path, markdown_out: str | Path
) -> pd.DataFrame:
    """Summary statistics per dataset and strategy, as CSV and as a markdown table."""
    from alcore.analysis import format_summary, markdown_table, read_parquet, summarize

    summary = summarize(read_parquet(metrics_path))
    with atomic_write(csv_out) as temporary:
        summary.to_csv(temporary, index=False)
    with atomic_write(markdown_out) as temporary:
        temporary.write_text(markdown_table(format_summary(summary)) + "\n")
    return summary


def _write(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_write(path) as temporary:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), temporary)
