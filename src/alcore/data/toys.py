"""The paper's 2-D toy datasets, generated from ``data_seed`` (not the experiment seed).

* ``blobs``: Gaussian clusters (paper Figure 1 and the appendix, cluster std 0.5 and 1.0).
  Cluster k is centred at ``radius * (cos a_k, sin a_k)`` with ``a_k = pi/4 + 2 pi k / centers``
  (for 4 centres: the corners (+-sqrt2, +-sqrt2) of a square), its label is k, and classes are
  balanced. With ``radius=2`` neighbouring centres are 2.83 apart: mostly separable at std 0.5,
  overlapping at std 1.0.
* ``quadrants``: uniform on [-1, 1]^2, label = quadrant (paper Figures 3 and 4), counted
  anticlockwise from (+, +). Points on an axis count as the positive side.

Inputs are (N, 2) float32 in the plotting coordinates (not standardised). The pool is drawn first,
then the test set, from one ``np.random.default_rng(data_seed)``, so a given ``data_seed`` always
gives the same data whatever the experiment seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from alcore.data.bundle import DatasetBundle
from alcore.data.options import float_option, int_option, resolve_options

QUADRANT_NAMES = ("Q1 (+,+)", "Q2 (-,+)", "Q3 (-,-)", "Q4 (+,-)")


def blob_centres(centers: int, radius: float) -> np.ndarray:
    """(centers, 2) float64 cluster centres evenly spaced on a circle of ``radius``."""
    angles = np.pi / 4 + 2 * np.pi * np.arange(centers) / centers  # (centers,)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_blobs(
    n: int, centres: np.ndarray, spread: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` balanced points: labels (n,) int64 and points (n, 2) = centre + spread * noise."""
    labels = rng.permutation(np.arange(n) % centres.shape[0]).astype(np.int64)  # (n,)
    points = centres[labels] + spread * rng.standard_normal((n, 2))  # (n, 2)
    return points, labels


def quadrant_of(points: np.ndarray) -> np.ndarray:
    """(n,) int64 quadrant labels of (n, 2) points: 0 (+,+), 1 (-,+), 2 (-,-), 3 (+,-)."""
    right, up = points[:, 0] >= 0, points[:, 1] >= 0
    return np.select([right & up, ~right & up, ~right & ~up], [0, 1, 2], default=3).astype(np.int64)


def sample_quadrants(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points uniform on [-1, 1]^2: points (n, 2) and their quadrant labels (n,)."""
    points = rng.uniform(-1.0, 1.0, size=(n, 2))
    return points, quadrant_of(points)


def load_blobs(
    name: str, *, data_dir: Path, download: bool, options: Mapping[str, object]
) -> DatasetBundle:
    """Gaussian clusters as a `DatasetBundle`: inputs (n_pool, 2) and (n_test, 2) float32.

    ``data_dir`` and ``download`` are unused; ``data_seed`` fixes the data.
    """
    opts = resolve_options("blobs", options)
    n_pool = int_option("blobs", opts, "n_pool", minimum=1)
    n_test = int_option("blobs", opts, "n_test", minimum=1)
    centers = int_option("blobs", opts, "centers", minimum=2)
    spread = float_option("blobs", opts, "spread", low=0.0)
    radius = float_option("blobs", opts, "radius", low=0.0)
    rng = np.random.default_rng(int_option("blobs", opts, "data_seed", minimum=0))
    centres = blob_centres(centers, radius)
    pool_x, pool_y = sample_blobs(n_pool, centres, spread, rng)
    test_x, test_y = sample_blobs(n_test, centres, spread, rng)
    return _toy_bundle("blobs", pool_x, pool_y, test_x, test_y, tuple(map(str, range(centers))))


def load_quadrants(
    name: str, *, data_dir: Path, download: bool, options: Mapping[str, object]
) -> DatasetBundle:
    """The quadrant task as a `DatasetBundle`: inputs (n_pool, 2) and (n_test, 2) float32.

    ``data_dir`` and ``download`` are unused; ``data_seed`` fixes the data.
    """
    opts = resolve_options("quadrants", options)
    n_pool = int_option("quadrants", opts, "n_pool", minimum=1)
    n_test = int_option("quadrants", opts, "n_test", minimum=1)
    rng = np.random.default_rng(int_option("quadrants", opts, "data_seed", minimum=0))
    pool_x, pool_y = sample_quadrants(n_pool, rng)
    test_x, test_y = sample_quadrants(n_test, rng)
    return _toy_bundle("quadrants", pool_x, pool_y, test_x, test_y, QUADRANT_NAMES)


def _toy_bundle(
    name: str,
    pool_x: np.ndarray,
    pool_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    class_names: tuple[str, ...],
) -> DatasetBundle:
    return DatasetBundle(
        name=name,
        pool_inputs=torch.from_numpy(pool_x).to(torch.float32),
        pool_labels=torch.from_numpy(pool_y),
        test_inputs=torch.from_numpy(test_x).to(torch.float32),
        test_labels=torch.from_numpy(test_y),
        num_classes=len(class_names),
        input_shape=(2,),
        class_names=class_names,
    )
