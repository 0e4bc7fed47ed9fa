"""Read the per-run parquet files of the pipeline into one checked, sorted table.

``gather_metrics`` and ``gather_acquisitions`` read every file with pyarrow, check its schema,
concatenate, refuse duplicate keys (the same round of the same run written twice) and sort by the
key. Every error names the file and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alcore.analysis.schema import (
    ACQUISITION_COLUMNS,
    ACQUISITION_KEY,
    METRICS_COLUMNS,
    METRICS_KEY,
    check_acquisitions,
    check_metrics,
)

_SOURCE = "__source__"  # temporary column: the file each row came from
_MAX_LISTED = 5  # duplicate keys listed in an error message


def read_parquet(path: str | Path) -> pd.DataFrame:
    """Read one parquet file into a DataFrame.

    Raises ``FileNotFoundError`` if ``path`` does not exist and ``ValueError`` (naming the path and
    the reason) if it is not a readable parquet file, e.g. truncated by an interrupted write.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; run the stage that writes it")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f"{path}: not a readable parquet file ({reason}); delete it and rerun the stage that "
            "writes it"
        ) from error
    return table.to_pandas()


def _gather(
    paths: Sequence[str | Path],
    check: Callable[[pd.DataFrame, str], None],
    columns: Mapping[str, str],
    key: Sequence[str],
    table: str,
) -> pd.DataFrame:
    if isinstance(paths, str | Path):
        raise TypeError(f"paths must be a sequence of paths, not the single path {str(paths)!r}")
    if len(paths) == 0:
        raise ValueError(f"no {table} files given; pass at least one parquet path")
    frames = []
    for path in paths:
        frame = read_parquet(path)
        check(frame, str(path))
        frames.append(frame.assign(**{_SOURCE: str(path)}))
    df = pd.concat(frames, ignore_index=True)
    for name, kind in columns.items():
        if kind == "integer":
            df[name] = df[name].astype("int64")
        elif kind == "float":
            df[name] = df[name].astype("float64")
    duplicated = df.duplicated(list(key), keep=False)
    if duplicated.any():
        groups = df[duplicated].groupby(list(key), sort=True)[_SOURCE].agg(lambda s: sorted(set(s)))
        listed = [
            f"{dict(zip(key, values, strict=True))} in {files}"
            for values, files in list(groups.items())[:_MAX_LISTED]
        ]
        more = f" and {len(groups) - _MAX_LISTED} more" if len(groups) > _MAX_LISTED else ""
        raise ValueError(
            f"{len(groups)} duplicate {table} rows for key {list(key)}: "
            f"{'; '.join(listed)}{more}; each run must be written once: delete the stale files "
            "and rerun"
        )
    df = df.drop(columns=_SOURCE)
    return df.sort_values(list(key), kind="stable").reset_index(drop=True)


def gather_metrics(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenate metrics parquet files into one table sorted by dataset, strategy, seed, round.

    paths: the files (each checked against :data:`~alcore.analysis.schema.METRICS_COLUMNS`).
    Returns the rows of all files with a fresh RangeIndex; integer columns as int64, float columns
    as float64. Raises ``ValueError`` for an unreadable file, a wrong schema or a (dataset,
    strategy, seed, round) key that occurs more than once.
    """
    return _gather(paths, check_metrics, METRICS_COLUMNS, METRICS_KEY, "metrics")


def gather_acquisitions(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenate acquisitions parquet files, sorted by dataset, strategy, seed, round,
    beam_rank, pick_order; the same checks as :func:`gather_metrics` with the key extended by
    beam_rank and pick_order."""
    return _gather(paths, check_acquisitions, ACQUISITION_COLUMNS, ACQUISITION_KEY, "acquisitions")
