"""The doubt-warped distance field of the paper's Figure 3 (rows 4 and 5).

In the doubt-weighted core-set (docs/method.md section 4) each point x perceives its distance
to a point p shrunk by its own confidence: ``I(x)·||x - p||``. Seen from one point p, this is
a field over the plane that is 0 wherever the model is confident.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def grid_points(size: int, extent: tuple[float, float] = (-1.0, 1.0)) -> NDArray[np.float64]:
    """A (size, size, 2) grid over ``[lo, hi]²``: ``grid[i, j] = (x_j, y_i)``, so row i is the
    height y_i (increasing) and column j the abscissa x_j, as ``imshow(origin="lower")`` draws."""
    if size < 2:
        raise ValueError(f"size={size} must be at least 2 grid points per axis")
    lo, hi = extent
    if not lo < hi:
        raise ValueError(f"extent={extent} must be (low, high) with low < high")
    ticks = np.linspace(lo, hi, size)
    xs, ys = np.meshgrid(ticks, ticks)  # (size, size) each; ys varies along rows
    return np.stack([xs, ys], axis=-1)


def warped_field(grid_xy: ArrayLike, grid_doubt: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    """The distance from ``p`` as perceived at each grid point: ``grid_doubt * ||grid_xy - p||``.

    grid_xy: (..., 2) positions; grid_doubt: (...) doubt I(x) at those positions; p: (2,).
    Returns float64 of shape (...).
    """
    xy = np.asarray(grid_xy, dtype=np.float64)
    doubt = np.asarray(grid_doubt, dtype=np.float64)
    point = np.asarray(p, dtype=np.float64)
    if xy.shape[-1:] != (2,) or point.shape != (2,):
        raise ValueError(f"grid_xy {xy.shape} must end in 2 and p {point.shape} must be (2,)")
    if doubt.shape != xy.shape[:-1]:
        raise ValueError(
            f"grid_doubt {doubt.shape} must match grid_xy {xy.shape} without its last axis"
        )
    return np.asarray(doubt * np.linalg.norm(xy - point, axis=-1), dtype=np.float64)
