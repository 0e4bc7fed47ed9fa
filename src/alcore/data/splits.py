"""A fixed, seeded, stratified pool/test split of item indices."""

from __future__ import annotations

import numpy as np


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split the indices ``0..N-1`` into (pool, test), class by class.

    Args:
        labels: (N,) integer class labels.
        test_fraction: share of each class sent to the test set, in (0, 1).
        seed: seeds a private ``np.random.default_rng``; the same arguments give the same split.

    Returns:
        ``(pool, test)``: int64 index arrays, each sorted ascending, disjoint, together covering
        ``0..N-1``. Class ``c`` with ``n_c`` items sends ``floor(test_fraction * n_c + 0.5)`` of
        them, drawn at random, to the test set.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction={test_fraction!r} must be in (0, 1)")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test_parts = []
    for c in np.unique(labels):  # sorted, so the draw order is fixed
        members = np.flatnonzero(labels == c)
        n_test = int(np.floor(test_fraction * members.size + 0.5))
        test_parts.append(rng.permutation(members)[:n_test])
    test = np.sort(np.concatenate([np.zeros(0, dtype=np.int64), *test_parts])).astype(np.int64)
    in_pool = np.ones(labels.shape[0], dtype=bool)
    in_pool[test] = False
    pool = np.flatnonzero(in_pool).astype(np.int64)
    if pool.size == 0 or test.size == 0:
        raise ValueError(
            f"test_fraction={test_fraction} splits {labels.shape[0]} items into "
            f"{pool.size} pool and {test.size} test items; both must be non-empty, "
            "so add items or change test_fraction"
        )
    return pool, test
