"""Read the pipeline's parquet files into one checked, sorted table (the one gatherer).

Every file is read by :func:`alcore.files.read_table`, which checks its declared columns
(:mod:`alcore.stages.schemas`) and names the file and the fix when one is missing, corrupt or of
another layout. :func:`gather` concatenates the files, refuses duplicate keys (the same round of
the same run written twice) and sorts by the key; :func:`read_metrics` and
:func:`read_acquisitions` read an experiment's aggregated tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from alcore.files import Column, read_table
from alcore.stages.schemas import (
    ACQUISITIONS,
    ACQUISITIONS_KEY,
    EXPERIMENT_ACQUISITIONS,
    EXPERIMENT_METRICS,
    METRICS,
    METRICS_KEY,
)

_SOURCE = "__source__"  # temporary column: the file each row came from
_MAX_LISTED = 5  # duplicate keys listed in an error message


def read_frame(path: str | Path, schema: Sequence[Column]) -> pd.DataFrame:
    """One parquet file as a DataFrame, after :func:`alcore.files.read_table` checked it
    against ``schema`` (a :class:`~alcore.files.StageFileError`, a ValueError, names the file
    and the fix otherwise). Columns keep their arrow types: int64, float64, bool, str, lists as
    arrays."""
    return read_table(path, schema).to_pandas()


def read_metrics(path: str | Path) -> pd.DataFrame:
    """An experiment's metrics table (:data:`~alcore.stages.schemas.EXPERIMENT_METRICS`)."""
    return read_frame(path, EXPERIMENT_METRICS)


def read_acquisitions(path: str | Path) -> pd.DataFrame:
    """An experiment's acquisitions table
    (:data:`~alcore.stages.schemas.EXPERIMENT_ACQUISITIONS`)."""
    return read_frame(path, EXPERIMENT_ACQUISITIONS)


def gather(
    paths: Sequence[str | Path],
    schema: Sequence[Column],
    key: Sequence[str],
    table: str,
    owners: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The rows of every file in ``paths`` as one table sorted by ``key``.

    schema: the columns each file must have (extra columns are kept); table: its name in error
    messages ("metrics"). owners: when given, ``owners[i]`` replaces the ``strategy`` of every
    row of ``paths[i]`` (a shared file, such as the round-0 model's metrics, is listed once per
    strategy that reports it). Returns a fresh RangeIndex. Raises ValueError for no paths, an
    unreadable or wrongly shaped file, owners of another length, or a key that occurs twice
    (naming the key values and their files); TypeError for a single path.
    """
    if isinstance(paths, str | Path):
        raise TypeError(f"paths must be a sequence of paths, not the single path {str(paths)!r}")
    if len(paths) == 0:
        raise ValueError(f"no {table} files given; pass at least one parquet path")
    if owners is not None and len(owners) != len(paths):
        raise ValueError(
            f"{len(paths)} {table} files but {len(owners)} owners; pass one strategy per file"
        )
    frames = []
    for i, path in enumerate(paths):
        frame = read_frame(path, schema).assign(**{_SOURCE: str(path)})
        if owners is not None:
            frame["strategy"] = owners[i]
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    _refuse_duplicates(df, key, table)
    df = df.drop(columns=_SOURCE)
    return df.sort_values(list(key), kind="stable").reset_index(drop=True)


def _refuse_duplicates(df: pd.DataFrame, key: Sequence[str], table: str) -> None:
    duplicated = df.duplicated(list(key), keep=False)
    if not duplicated.any():
        return
    groups = df[duplicated].groupby(list(key), sort=True)[_SOURCE].agg(lambda s: sorted(set(s)))
    listed = [
        f"{dict(zip(key, values, strict=True))} in {files}"
        for values, files in list(groups.items())[:_MAX_LISTED]
    ]
    more = f" and {len(groups) - _MAX_LISTED} more" if len(groups) > _MAX_LISTED else ""
    raise ValueError(
        f"{len(groups)} duplicate {table} rows for key {list(key)}: {'; '.join(listed)}{more}; "
        "each run must be written once: delete the stale files and rerun"
    )


def gather_metrics(
    paths: Sequence[str | Path], owners: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per-round metrics files (:data:`~alcore.stages.schemas.METRICS`) as one table sorted by
    dataset, strategy, seed, round; ``owners`` as in :func:`gather`."""
    return gather(paths, METRICS, METRICS_KEY, "metrics", owners)


def gather_acquisitions(
    paths: Sequence[str | Path], owners: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per-round acquisitions files (:data:`~alcore.stages.schemas.ACQUISITIONS`) as one table
    sorted by dataset, strategy, seed, round, beam_rank, pick_order; ``owners`` as in
    :func:`gather`."""
    return gather(paths, ACQUISITIONS, ACQUISITIONS_KEY, "acquisitions", owners)
