"""The labelled set: the initial random sample, and reading/writing it with its checks."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alcore.files import StageFileError, metadata_of, read_table, write_table
from alcore.files.errors import rerun_fix
from alcore.seeding import derive_seed
from alcore.stages.schemas import LABELLED

if TYPE_CHECKING:
    from torch import Tensor


def initial_indices(n_pool: int, size: int, seed: int) -> np.ndarray:
    """``size`` pool indices (int64) drawn uniformly without replacement from ``seed``, sorted.

    Depends only on (n_pool, size, seed): every strategy of a seed starts from the same set.
    Needs no torch, so the initial-labels job starts in a fraction of a second.
    """
    if not 0 < size <= n_pool:
        raise ValueError(f"initial size {size} must be in [1, {n_pool}] (the pool size)")
    rng = np.random.default_rng(derive_seed("initial", seed))
    return np.sort(rng.choice(n_pool, size=size, replace=False)).astype(np.int64)


def initial_labelled(n_pool: int, size: int, seed: int) -> Tensor:
    """:func:`initial_indices` as a (size,) int64 tensor."""
    import torch

    return torch.from_numpy(initial_indices(n_pool, size, seed))


def write_labelled(
    indices: Tensor | np.ndarray, rounds_added: Tensor | np.ndarray, n_pool: int, path: str | Path
) -> None:
    """Write the labelled set: (L,) indices and the round each was added (-1 = initial)."""
    write_table(
        {"index": _numpy(indices), "round_added": _numpy(rounds_added)},
        LABELLED,
        path,
        metadata={"n_pool": str(n_pool)},
    )


def read_labelled(path: str | Path, n_pool: int | None = None) -> tuple[Tensor, int]:
    """Read a labelled set: (L,) int64 indices in file order and the pool size.

    Raises :class:`StageFileError` for duplicates, indices outside the pool, or a pool size
    that differs from ``n_pool``.
    """
    import torch

    indices, stored = read_labelled_indices(path, n_pool)
    return torch.from_numpy(indices), stored


def read_labelled_indices(path: str | Path, n_pool: int | None = None) -> tuple[np.ndarray, int]:
    """:func:`read_labelled` as a NumPy array, for the jobs that import no torch."""
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
    return indices.astype(np.int64), int(stored)


def labelled_hash(labelled: Tensor | np.ndarray) -> str:
    """Identity of a labelled set of (L,) pool indices (order-insensitive)."""
    data = np.sort(_numpy(labelled).astype(np.int64)).tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def read_rounds_added(path: str | Path) -> Tensor:
    """(L,) int64 round each labelled index was added in (same order as :func:`read_labelled`)."""
    import torch

    return torch.from_numpy(read_table(path, LABELLED).column("round_added").to_numpy().copy())


def _numpy(values: Tensor | np.ndarray) -> np.ndarray:
    return values if isinstance(values, np.ndarray) else values.cpu().numpy()
