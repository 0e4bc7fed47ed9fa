"""Euclidean distance kernels: screen with a matrix product, decide with direct differences.

Many-to-many distances run fastest as the expansion ``|x - c|^2 = |x|^2 + |c|^2 - 2 x.c``
(a matrix product), but its rounding error grows with ``|x|^2``, not with ``|x - c|^2``: for
tight clusters far from the origin it can exceed the distances themselves. So the expansion
only *screens*: every value that is stored (a min distance, a pick's score) comes from the
direct ``sqrt(sum (x - c)^2)``, accurate to a few ulps of the distance itself, and the
expansion is trusted only to rule candidates out, with a rigorous error margin
(:attr:`Workspace.gamma`). Kernels work on a mean-centred copy, which keeps ``|x|`` and so the
margin small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from alcore.select._checks import check_block_size, check_features, check_labelled

DEFAULT_BLOCK_SIZE = 1024
# Elements (rows x D) gathered at a time by the direct kernels: 16 MB of float32.
_CHUNK_ELEMENTS = 1 << 22

ProgressFn = Callable[[str, int, int], None]
"""A progress callback: ``progress(phase, done, total)`` with Python ints."""


def chunk_rows(dim: int) -> int:
    """How many rows of ``dim`` features make one gather chunk of the direct kernels."""
    return max(1, _CHUNK_ELEMENTS // dim)


@dataclass(frozen=True)
class Workspace:
    """Centred features and their squared norms, shared by all selection kernels.

    points: (N, D) float32 (float64 if the input was float64), contiguous, mean-centred.
    sq_norms: (N,) the squared row norms of ``points``.
    gamma: the expansion's relative error bound: ``|d2_expanded - d2| <= gamma (|x|^2+|c|^2)``.
    """

    points: Tensor
    sq_norms: Tensor
    gamma: float


def make_workspace(features: Tensor) -> Workspace:
    """Centre ``features`` (N, D) into a contiguous working copy; the input is not modified."""
    dtype = torch.float64 if features.dtype == torch.float64 else torch.float32
    points = features.to(dtype=dtype, copy=True)
    # any centre works (distances are translation invariant): the mean keeps |x| smallest
    points.sub_(points.mean(dim=0))
    sq_norms = points.square().sum(dim=1)
    # Worst-case dot-product error is D eps |x||c| (Higham, Accuracy and Stability, 3.1);
    # the norms and the sum add a few eps more. Doubled for safety.
    eps = float(torch.finfo(dtype).eps)
    return Workspace(points, sq_norms, 2.0 * (points.shape[1] + 4) * eps)


def expanded_squared(
    points: Tensor, sq_norms: Tensor, centers: Tensor, center_sq_norms: Tensor
) -> Tensor:
    """Screening values ``|x|^2 + |c|^2 - 2 x.c``: (R, D), (R,), (K, D), (K,) -> (R, K)."""
    squared = torch.addmm(
        sq_norms[:, None] + center_sq_norms[None, :], points, centers.T, alpha=-2.0
    )
    return squared.clamp_(min=0.0)


def error_bound(space: Workspace, sq_norms: Tensor, center_sq_norms: Tensor) -> Tensor:
    """Bound on the screening error of each squared distance (broadcasts like the inputs)."""
    return space.gamma * (sq_norms + center_sq_norms)


def exact_to_point(points: Tensor, center: Tensor) -> Tensor:
    """Direct distances ``|x_r - c|``: (R, D), (1, D) -> (R,), one memory-bound pass."""
    return torch.cdist(points, center, compute_mode="donot_use_mm_for_euclid_dist").squeeze(1)


def exact_to_point_at(space: Workspace, rows: Tensor, center: Tensor) -> Tensor:
    """Direct distances from the pool rows ``rows`` (R,) to ``center`` (1, D): (R,).

    Gathers the rows in chunks, so extra memory stays O(chunk) however many rows there are.
    """
    out = space.points.new_empty(rows.shape[0])
    step = chunk_rows(space.points.shape[1])
    for start in range(0, rows.shape[0], step):
        chunk = rows[start : start + step]
        out[start : start + chunk.shape[0]] = exact_to_point(space.points[chunk], center)
    return out


def exact_pairs_at(points: Tensor, rows: Tensor, centers: Tensor, cols: Tensor) -> Tensor:
    """Direct distances ``|points[rows[p]] - centers[cols[p]]|``: (R, D), (P,), (B, D), (P,) -> (P,).

    Gathers the pairs in chunks, so extra memory stays O(chunk) however many pairs there are.
    """
    out = points.new_empty(rows.shape[0])
    step = chunk_rows(points.shape[1])
    for start in range(0, rows.shape[0], step):
        stop = min(start + step, rows.shape[0])
        diff = points.index_select(0, rows[start:stop])  # (p, D)
        diff.sub_(centers.index_select(0, cols[start:stop]))
        out[start:stop] = torch.linalg.vector_norm(diff, dim=1)
    return out


@dataclass(frozen=True)
class MinDistances:
    """For every pool point, its distance to the nearest centre and that centre's pool index.

    distance: (N,) float, 0 on the centres themselves.
    nearest: (N,) int64 pool indices; ``nearest[c] == c`` for every centre c.
    """

    distance: Tensor
    nearest: Tensor


def min_distances(
    features: Tensor,
    labelled: Tensor,
    block_size: int = DEFAULT_BLOCK_SIZE,
    *,
    progress: ProgressFn | None = None,
) -> MinDistances:
    """Paper Algorithm 3: ``m(i) = min_{j in L} |x_i - x_j|`` for every pool point.

    features: (N, D) floating, finite. labelled: (N,) bool with at least one True.
    Computed in (block_size x block_size) tiles, so extra memory is O(block_size^2 + N)
    whatever N and |L| are. Every distance is a direct ``sqrt(sum (x - c)^2)`` to a centre
    that attains the smallest such value, the smallest pool index among equal ones.
    progress: called as ``progress("min-distance", tiles done, tiles in all)`` after each tile.
    """
    check_features(features)
    check_labelled(labelled, features.shape[0], features.device)
    check_block_size(block_size)
    space = make_workspace(features)
    return _min_distances(space, labelled.nonzero().squeeze(1), block_size, progress)


def _min_distances(
    space: Workspace, centers: Tensor, block_size: int, progress: ProgressFn | None = None
) -> MinDistances:
    """Block-wise minimum over ``centers`` ((L,) int64 ascending pool indices, L >= 1).

    The result is what a direct distance to every centre would give: for each row, the smallest
    direct distance, at the first centre (in ``centers`` order) that attains it. Each tile
    recomputes directly only the pairs that the screen cannot rule out against the best
    direct distance found so far (in this tile or an earlier block of centres).
    """
    n_points = space.points.shape[0]
    device = space.points.device
    best = torch.full((n_points,), float("inf"), dtype=space.points.dtype, device=device)
    nearest = torch.zeros(n_points, dtype=torch.int64, device=device)
    n_row_blocks = -(-n_points // block_size)
    total = n_row_blocks * -(-centers.shape[0] // block_size)
    done = 0
    for col_start in range(0, centers.shape[0], block_size):
        cols = centers[col_start : col_start + block_size]
        col_points = space.points.index_select(0, cols)  # (B, D), gathered once per block
        col_sq = space.sq_norms.index_select(0, cols)
        for row_start in range(0, n_points, block_size):
            rows = slice(row_start, row_start + block_size)
            tile_best, tile_arg = _tile_min(
                space, space.points[rows], space.sq_norms[rows], col_points, col_sq, best[rows]
            )
            # strict < keeps the earlier (smaller-index) centre on ties across blocks
            better = tile_best < best[rows]
            best[rows] = torch.where(better, tile_best, best[rows])
            nearest[rows] = torch.where(better, cols[tile_arg], nearest[rows])
            done += 1
            if progress is not None:
                progress("min-distance", done, total)
    best[centers] = 0.0
    nearest[centers] = centers
    return MinDistances(best, nearest)


def _tile_min(
    space: Workspace,
    points: Tensor,
    sq: Tensor,
    centers: Tensor,
    center_sq: Tensor,
    best_so_far: Tensor,
) -> tuple[Tensor, Tensor]:
    """Exact row minima of one tile: (R, D) x (B, D) -> (R,) distances, (R,) column indices.

    best_so_far: (R,) the smallest direct distance of each row to earlier centres (inf if none).
    A column is a contender unless its screened lower limit exceeds a bound that every
    winner's true squared distance stays under: the smallest screened upper limit of the tile,
    or the best direct distance so far, inflated by ``2 gamma`` for the rounding of the
    direct distances themselves. Only contender pairs are computed directly; the winner is the
    smallest direct distance, the smallest column among equal ones. Rows without a contender
    (ruled out by ``best_so_far``) get ``inf``.
    """
    n_rows, n_cols = points.shape[0], centers.shape[0]
    screened = expanded_squared(points, sq, centers, center_sq)  # (R, B)
    margin = error_bound(space, sq[:, None], center_sq[None, :])  # (R, B)
    upper = (screened + margin).amin(dim=1)  # (R,) >= some column's true d^2
    bound = torch.minimum(upper, best_so_far.square()) * (1.0 + 2.0 * space.gamma)
    lower = screened.sub_(margin)  # (R, B) <= true d^2; reuses the screen's memory
    pair_rows, pair_cols = (lower <= bound[:, None]).nonzero(as_tuple=True)  # (P,), (P,)
    direct = exact_pairs_at(points, pair_rows, centers, pair_cols)  # (P,)
    best = direct.new_full((n_rows,), float("inf"))
    best.scatter_reduce_(0, pair_rows, direct, reduce="amin")
    wins = direct == best[pair_rows]  # (P,) the pairs attaining their row's minimum
    arg = torch.full((n_rows,), n_cols, dtype=torch.int64, device=points.device)
    arg.scatter_reduce_(0, pair_rows[wins], pair_cols[wins], reduce="amin")
    return best, arg.clamp_(max=n_cols - 1)  # rows without a pair have best = inf
