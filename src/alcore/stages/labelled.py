"""The labelled set: the initial random sample, and reading/writing it with its checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from alcore.files import StageFileError, metadata_of, read_table, write_table
from alcore.files.errors import rerun_fix
from alcore.seeding import generator
from alcore.stages.schemas import LABELLED


def initial_labelled(n_pool: int, size: int, seed: int) -> Tensor:
    """``size`` pool indices drawn uniformly without replacement from ``seed``, sorted.

    Depends only on (n_pool, size, seed): every strategy of a seed starts from the same set.
    """
    if not 0 < size <= n_pool:
        raise ValueError(f"initial size {size} must be in [1, {n_pool}] (the pool size)")
    order = torch.randperm(n_pool, generator=generator("initial", seed))
    return order[:size].sort().values


def write_labelled(indices: Tensor, rounds_added: Tensor, n_pool: int, path: str | Path) -> None:
    """Write the labelled set: (L,) indices and the round each was added (-1 = initial)."""
    write_table(
        {"index": indices.cpu().numpy(), "round_added": rounds_added.cpu().numpy()},
        LABELLED,
        path,
        metadata={"n_pool": str(n_pool)},
    )


def read_labelled(path: str | Path, n_pool: int | None = None) -> tuple[Tensor, int]:
    """Read a labelled set: (L,) int64 indices in file order and the pool size.

    Raises :class:`StageFileError` for duplicates, indices outside the pool, or a pool size
    that differs from ``n_pool``.
    """
    table = read_table(path, LABELLED)
    stored = metadata_of(table).get("n_pool")
    if stored is None:
        raise StageFileError(path, "has no n_pool metadata", rerun_fix(path))
    if n_pool is not None and int(stored) != n_pool:
        raise StageFileError(
            path, f"was written for a pool of {stored} items, not {n_pool}", rerun_fix(path)
        )
    indices = table.column("index").to_numpy()
    if len(indices) == 0:
        raise StageFileError(path, "the labelled set is empty", rerun_fix(path))
    if len(np.unique(indices)) != len(indices):
        raise StageFileError(path, "lists an index twice", rerun_fix(path))
    if indices.min() < 0 or indices.max() >= int(stored):
        raise StageFileError(
            path,
            f"has indices outside the pool [0, {stored}) (found {indices.min()}..{indices.max()})",
            rerun_fix(path),
        )
    return torch.from_numpy(indices.astype(np.int64)), int(stored)


def read_rounds_added(path: str | Path) -> Tensor:
    """(L,) int64 round each labelled index was added in (same order as :func:`read_labelled`)."""
    return torch.from_numpy(read_table(path, LABELLED).column("round_added").to_numpy().copy())
