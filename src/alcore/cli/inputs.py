"""Reading ``alcore select``'s inputs: (N, K) matrices, (T, N, C) passes and the labelled set
from .npy, .pt or parquet files, each problem a :class:`~alcore.cli.common.DataError` naming the
file and the fix."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alcore.catalog.strategies import FEATURES, MC_PROBS, PROBS
from alcore.cli.common import EMBEDDING_COLUMNS, DataError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa
    from torch import Tensor


class PoolInputs:
    """The tensors read for ``alcore select`` (on the CPU), with their sources."""

    def __init__(self) -> None:
        self.features: Tensor | None = None  # (N, D)
        self.probs: Tensor | None = None  # (N, C)
        self.mc_probs: Tensor | None = None  # (T, N, C)
        self.labelled: Tensor  # (N,) bool
        self.paths: dict[str, Path] = {}  # field -> the file it came from
        self.seed = 0  # defaults of --seed / --round (an embedding's metadata)
        self.round = 0
        self.stem = "pool"  # default of --dataset

    @property
    def n_points(self) -> int:
        return int(self.labelled.shape[0])

    def tensors(self) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        """features, probs, mc_probs, in :class:`alcore.select.Pool`'s order."""
        return self.features, self.probs, self.mc_probs


def read_inputs(args: argparse.Namespace) -> PoolInputs:
    """Read and check every input file; a problem raises :class:`DataError` naming the file."""
    from alcore.files.arrays import ArrayFileError

    try:
        return _read_inputs(args)
    except ArrayFileError as error:  # the reader's message names the file, problem and fix
        raise DataError(str(error)) from error


def _read_inputs(args: argparse.Namespace) -> PoolInputs:
    import torch

    from alcore.select import check_features, check_probs

    inputs = PoolInputs()
    embedding_labelled = None
    if args.features is not None:
        inputs.paths[FEATURES] = args.features
        inputs.stem = args.features.stem
        if _is_embedding(args.features):
            embedding = _read_embedding(args.features)
            inputs.features = embedding.pool_features
            embedding_labelled = embedding.pool_labelled
            if args.probs is None:
                inputs.probs, inputs.paths[PROBS] = embedding.pool_probs, args.features
            inputs.seed = _metadata_int(embedding.metadata, "seed")
            inputs.round = _metadata_int(embedding.metadata, "round")
        else:
            inputs.features = _read_matrix(args.features, FEATURES)
        if not inputs.features.is_floating_point():
            inputs.features = inputs.features.float()
        _checked(args.features, check_features, inputs.features)
    n_points = None if inputs.features is None else inputs.features.shape[0]
    if args.probs is not None:
        inputs.paths[PROBS] = args.probs
        inputs.stem = args.probs.stem if args.features is None else inputs.stem
        inputs.probs = _read_matrix(args.probs, PROBS)
    if inputs.probs is not None:
        if not inputs.probs.is_floating_point():
            inputs.probs = inputs.probs.float()
        path = inputs.paths[PROBS]
        _checked(path, check_probs, inputs.probs, n_points)
        n_points = inputs.probs.shape[0]
    if args.mc_probs is not None:
        inputs.paths[MC_PROBS] = args.mc_probs
        inputs.mc_probs = _read_mc_probs(args.mc_probs, n_points)
        n_points = inputs.mc_probs.shape[1]
    if args.labelled is not None:
        inputs.paths["labelled"] = args.labelled
        inputs.labelled = _read_labelled(args.labelled, n_points)
        if embedding_labelled is not None and not torch.equal(inputs.labelled, embedding_labelled):
            logging.getLogger("alcore.cli.select").warning(
                "--labelled differs from the labelled column of %s; selecting with --labelled",
                args.features,
            )
    elif embedding_labelled is not None:
        inputs.labelled = embedding_labelled
    else:
        raise UsageError(
            "pass --labelled FILE (pool indices or a boolean mask); only a workflow "
            "embedding.parquet as --features holds its own labelled set"
        )
    if not bool(inputs.labelled.any()):
        raise DataError(
            f"{inputs.paths.get('labelled', args.features)}: the labelled set is empty; "
            "selection measures distances to labelled points: label a random sample first "
            "(e.g. --strategy random on a one-point labelled set)"
        )
    return inputs


def _checked(path: Path, check: Callable[..., None], *values: object) -> None:
    """Run an engine check on a file's values; its ValueError, prefixed by the file."""
    try:
        check(*values)
    except ValueError as error:
        raise DataError(f"{path}: {error}") from error


def _is_embedding(path: Path) -> bool:
    from alcore.files.arrays import open_parquet

    if path.suffix != ".parquet":
        return False
    with open_parquet(path) as source:
        return EMBEDDING_COLUMNS <= set(source.schema_arrow.names)


def _read_embedding(path: Path) -> Any:
    from alcore.stages.embed import Embedding

    try:
        return Embedding(path)
    except ValueError as error:  # StageFileError names the file and the fix
        raise DataError(str(error)) from error


def _metadata_int(metadata: dict[str, str], key: str) -> int:
    try:
        return int(metadata.get(key, "0"))
    except ValueError:
        return 0


def _read_matrix(path: Path, field: str) -> Tensor:
    """An (N, K) matrix from .npy / .pt / parquet (pool rows; see SELECT_EPILOG)."""
    from alcore.files.arrays import read_tensor

    values = read_tensor(path, field, rows=_pool_rows)
    if values.dim() != 2:
        hint = {FEATURES: "one row of D numbers per point", PROBS: "one row of C per point"}
        raise DataError(
            f"{path}: {field} must have shape (N, {'D' if field == FEATURES else 'C'}), got "
            f"shape {tuple(values.shape)}; save {hint[field]}"
        )
    return values


def _read_mc_probs(path: Path, n_points: int | None) -> Tensor:
    from alcore.files.arrays import read_tensor

    if path.suffix == ".parquet":
        raise DataError(
            f"{path}: --mc-probs is read from .npy or .pt only (a (T, N, C) array); save it "
            "with np.save(path, mc_probs) or torch.save(mc_probs, path)"
        )
    values = read_tensor(path, MC_PROBS)
    if values.dim() != 3 or values.shape[0] < 1:
        raise DataError(
            f"{path}: mc-probs must have shape (T, N, C) (T stochastic passes), got shape "
            f"{tuple(values.shape)}; stack the passes: np.stack([probs_1, ..., probs_T])"
        )
    if n_points is not None and values.shape[1] != n_points:
        raise DataError(
            f"{path}: mc-probs has {values.shape[1]} points (shape {tuple(values.shape)}), the "
            f"pool has {n_points}; pass (T, {n_points}, C)"
        )
    if not values.is_floating_point():
        values = values.float()
    from alcore.select import check_probs

    _checked(path, check_probs, values.flatten(0, 1))
    return values


def _read_labelled(path: Path, n_points: int | None) -> Tensor:
    """The labelled set as an (N,) bool mask, from indices or a mask."""
    import torch

    from alcore.files.arrays import read_parquet, read_tensor

    n_pool = None  # a workflow labelled.parquet's pool size
    if path.suffix == ".parquet":
        table = read_parquet(path)
        names = table.column_names
        if "labelled" in names:
            values = _column_tensor(path, _pool_rows(table), "labelled")
        elif "index" in names:
            values = _column_tensor(path, table, "index")
            stored = (table.schema.metadata or {}).get(b"n_pool")
            n_pool = int(stored) if stored is not None else None
        else:
            raise DataError(
                f"{path}: has no `labelled` (boolean mask) or `index` (pool indices) column "
                f"(found {', '.join(names)}); write one of them"
            )
    else:
        values = read_tensor(path, "labelled")
    if values.dim() != 1:
        raise DataError(
            f"{path}: the labelled set must be 1-D (indices or a mask), got shape "
            f"{tuple(values.shape)}; save labelled.reshape(-1)"
        )
    if values.dtype == torch.bool:
        if n_points is not None and values.shape[0] != n_points:
            raise DataError(
                f"{path}: the labelled mask has {values.shape[0]} entries, the pool has "
                f"{n_points} points; pass one bool per pool point (or the labelled indices)"
            )
        return values
    if values.is_floating_point() or values.is_complex():
        raise DataError(
            f"{path}: labelled holds {values.dtype} values; save integer pool indices "
            "(e.g. np.asarray(indices, dtype=np.int64)) or a boolean mask"
        )
    if n_points is None:
        n_points = n_pool
    if n_points is None:
        raise UsageError(
            f"{path} holds indices, so the pool size is unknown: pass --features or --probs "
            "(or a boolean mask as --labelled)"
        )
    if n_pool is not None and n_pool != n_points:
        raise DataError(
            f"{path}: was written for a pool of {n_pool} points, the inputs have {n_points}; "
            "pass the labelled set of this pool"
        )
    indices = values.long()
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= n_points):
        raise DataError(
            f"{path}: labelled indices must lie in [0, {n_points}) (the pool's rows), found "
            f"{int(indices.min())}..{int(indices.max())}; pass 0-based row indices of the "
            "features"
        )
    mask = torch.zeros(n_points, dtype=torch.bool)
    mask[indices] = True
    return mask


def _pool_rows(table: pa.Table) -> pa.Table:
    """The rows with split == "pool" of a table with a `split` column (else all rows)."""
    import pyarrow.compute as pc

    if "split" not in table.column_names:
        return table
    return table.filter(pc.equal(table.column("split"), "pool"))


def _column_tensor(path: Path, table: pa.Table, name: str) -> Tensor:
    """A boolean or integer column as an (N,) tensor."""
    import numpy as np
    import pyarrow as pa

    from alcore.files.arrays import to_tensor

    column = table.column(name)
    if column.null_count:
        raise DataError(f"{path}: column {name!r} has missing values; write every row")
    if not (pa.types.is_integer(column.type) or pa.types.is_boolean(column.type)):
        raise DataError(
            f"{path}: column {name!r} is {column.type}; write "
            f"{'booleans' if name == 'labelled' else 'integer pool indices'}"
        )
    return to_tensor(path, np.asarray(column.to_numpy()), name)
