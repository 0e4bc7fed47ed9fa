"""k-means++ seeding, Lloyd iterations and the ``kmeans`` strategy, all on the engine's kernels.

Shared by the ``kmeans`` strategy (k-means on the unlabelled points, the point nearest each
centre) and ``typiclust`` (k-means on the whole pool). Nothing here draws from a global RNG:
k-means++ takes its uniforms from an explicit ``torch.Generator``.

**k-means++ draw** (:func:`d2_sample`, shared with ``badge``): every pick consumes one float64
uniform ``u`` in [0, 1); the weights ``w`` (squared distances to the nearest centre so far, 0 on
points already taken) are summed cumulatively in index order, ``S = sum w``, and the pick is the
first index ``i`` whose cumulative sum exceeds ``u * S`` (inverse CDF; a point of weight 0 is
never drawn). When every remaining weight is 0 (all remaining points copy a centre) the pick is
the smallest remaining index. The first centre is drawn the same way with every weight 1, so
``k`` picks consume exactly ``k`` uniforms, drawn at once as ``torch.rand(k, dtype=float64)``.

**Min distances** are the engine's direct distances
(:func:`~alcore.select.distances.exact_to_point` on the
:class:`~alcore.select.distances.Workspace`'s scaled, centred copy), so every ``D`` is a
direct ``|x - c|`` to a few ulps of itself, never an ``N x N`` matrix. Each pick's update
(:class:`_SeedingState`) is one matrix-vector product over the features: the rigorous lower
limits of :func:`~alcore.select.distances.lower_squared` rule out every row whose direct
distance, rounded, cannot drop below its current one; only the rows left (about those that do
change) are computed directly. (A triangle-inequality bound, tried first, kept many more rows
than change, distances concentrate, and gathering them cost more than the screen.) The O(N)
elementwise steps go by slices below ATen's parallel grain, so that a busy machine does not
make each of them wait for a descheduled thread.

**Lloyd assignment** (:func:`_assign`) goes by blocks of rows: a screen with the expanded
product under the rigorous margin :func:`~alcore.select.distances.error_bound`, a float64
screen of the rows it leaves ambiguous, then direct float64 distances of the candidates left;
ties go to the smaller centre number. Memory O(2^22 + k x D).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select._checks import check_budget, check_seeded_pool
from alcore.select.distances import (
    Workspace,
    chunk_rows,
    exact_to_point,
    expanded_squared,
    kept_norms,
    make_workspace,
)

# Lloyd iterations at most; they stop earlier as soon as no assignment changes.
MAX_LLOYD_ITERATIONS = 100
# The point nearest a centre: squared distances within this relative gap of the smallest
# count as tied (smaller index wins). A two-point cluster's centre is their midpoint, at the
# same distance from both in exact arithmetic: rounding must not decide which is picked.
NEAREST_TOLERANCE = 1e-9
# Screening values (queries x references) per block of the assignment: 16 MB of float32.
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class KMeansResult:
    """A k-means clustering of the rows of a workspace.

    seeds: (k,) int64 row numbers of the k-means++ centres, in draw order.
    centers: (k, D) float64 final centres, in the workspace's units (scaled and centred).
    labels: (n,) int64 the centre each row is nearest to (ties: the smaller centre number).
    sizes: (k,) int64 rows per centre.
    iterations: Lloyd iterations run (centre updates).
    """

    seeds: Tensor
    centers: Tensor
    labels: Tensor
    sizes: Tensor
    iterations: int


def d2_sample(weights: Tensor, available: Tensor, uniform: float) -> int:
    """One inverse-CDF draw: weights (n,) float64 >= 0, available (n,) bool (at least one True),
    uniform in [0, 1). Returns the first available index whose cumulative weight (over the
    available indices, in index order) exceeds ``uniform * total``; the smallest available index
    when the available weights are all 0."""
    masked = torch.where(available, weights, 0.0)
    cumulative = torch.cumsum(masked, dim=0)
    total = float(cumulative[-1])
    if not total > 0.0:
        return int(available.nonzero()[0, 0])
    target = torch.tensor([uniform * total], dtype=torch.float64, device=weights.device)
    pick = int(torch.searchsorted(cumulative, target, right=True)[0])
    if pick >= masked.shape[0]:  # u * S rounded up to S: the last point of positive weight
        pick = int((masked > 0).nonzero()[-1, 0])
    return pick


def _draw(weights: Tensor, available: Tensor, uniform: float, cumulative: Tensor) -> int:
    """:func:`d2_sample` when ``weights`` (n,) float64 are already 0 on every unavailable row
    (so ``torch.where(available, weights, 0)`` is ``weights`` itself): no masking pass.
    cumulative: (n,) float64 buffer for the cumulative sums."""
    torch.cumsum(weights, dim=0, out=cumulative)
    total = float(cumulative[-1])
    if not total > 0.0:
        return int(available.nonzero()[0, 0])
    target = cumulative.new_full((1,), uniform * total)
    pick = int(torch.searchsorted(cumulative, target, right=True)[0])
    if pick >= cumulative.shape[0]:  # u * S rounded up to S: the last point of positive weight
        pick = int((weights > 0).nonzero()[-1, 0])
    return pick


def kmeans_plusplus(space: Workspace, k: int, uniforms: Tensor) -> Tensor:
    """k-means++ seeding (Arthur & Vassilvitskii 2007) over the rows of ``space``.

    k: 0 <= k <= n rows. uniforms: (k,) float64 in [0, 1), one per pick (see the module
    docstring for the draw). Returns (k,) int64 distinct row numbers in draw order; the
    invariant ``space.points[seeds]`` are the initial centres.
    """
    n_points = space.points.shape[0]
    device = space.points.device
    seeds = torch.empty(k, dtype=torch.int64, device=device)
    if k == 0:
        return seeds
    draws = uniforms.tolist()  # one transfer, not one a pick
    available = torch.ones(n_points, dtype=torch.bool, device=device)
    first = d2_sample(torch.ones(n_points, dtype=torch.float64, device=device), available, draws[0])
    seeds[0] = first
    state = _SeedingState(space, first)
    for step in range(1, k):
        chosen = state.draw(draws[step])
        seeds[step] = chosen
        state.add_center(chosen)
    return seeds


# Rows per slice of the per-pick O(N) work: below ATen's parallel grain (32,768 elements), so
# each elementwise step runs on the calling thread. On a busy machine every parallel region
# of a small op waits for a descheduled worker (milliseconds), far more than the op itself.
_SERIAL_ROWS = 1 << 14


class _SeedingState:
    """The min distances of k-means++ and their per-pick update.

    distance: (n,) working dtype, each row's direct ``|x - c|`` (:func:`exact_to_point`) to
    its nearest centre so far (0 on the centres). weights: (n,) float64 ``distance^2``, the
    draw's weights. threshold: (n,) working dtype, at least ``distance^2 (1 + delta)``, delta
    covering the rounding of a direct distance: a row whose rigorous lower limit of the squared
    distance to a new centre (:func:`lower_squared`'s, from one matrix-vector product over the
    features) exceeds it keeps its distance, since its direct distance, rounded, cannot be
    smaller. Only the rows left are computed directly, so the values are those of a dense
    ``min(distance, exact_to_point(points, center))`` update.
    """

    def __init__(self, space: Workspace, first: int):
        points = space.points
        self.space = space
        self.sq_keep = kept_norms(space, space.sq_norms)  # (n,) as lower_squared scales them
        # the direct distance's rounding: squares and a sum of D non-negative terms, the sqrt
        u = float(torch.finfo(points.dtype).eps) / 2.0
        rounding = (points.shape[1] + 4) * u / (1.0 - (points.shape[1] + 4) * u)
        # d (1 - rounding) >= m  <=  d^2 >= m^2 (1 + delta); 2 delta: the threshold's rounding
        self.factor = 1.0 + 2.0 * (4.0 * rounding + 4.0 * u)
        center = points[first : first + 1]  # (1, D)
        self.distance = exact_to_point(points, center)  # (n,)
        self.distance[first] = 0.0
        self.weights = self.distance.to(torch.float64).square()  # (n,)
        self.threshold = (self.weights * self.factor).to(points.dtype)
        self.cumulative = torch.empty_like(self.weights)
        self.lower = torch.empty_like(self.distance)
        self.available = torch.ones(points.shape[0], dtype=torch.bool, device=points.device)
        self.available[first] = False

    def draw(self, uniform: float) -> int:
        """:func:`d2_sample` on the weights (0 on every taken row, so no mask is needed)."""
        return _draw(self.weights, self.available, uniform, self.cumulative)

    def add_center(self, pick: int) -> None:
        """Lower the distances to those to the new centre row ``pick``, where smaller."""
        points = self.space.points
        center = points[pick : pick + 1]  # (1, D)
        scaled = center[0] * -2.0  # (D,) exact
        center_keep = kept_norms(self.space, self.space.sq_norms[pick])  # () as lower_squared
        lower = torch.mv(points, scaled, out=self.lower)  # (n,) -2 x.c, one pass
        found = []
        for start in range(0, points.shape[0], _SERIAL_ROWS):
            part = slice(start, start + _SERIAL_ROWS)
            limit = lower[part].add_(self.sq_keep[part]).add_(center_keep)  # <= |x - c|^2
            found.append((limit <= self.threshold[part]).nonzero().squeeze(1).add_(start))
        rows = torch.cat(found)
        if rows.shape[0] > 0:
            direct = exact_to_point(points.index_select(0, rows), center)  # (r,)
            closer = direct < self.distance.index_select(0, rows)
            rows, direct = rows[closer], direct[closer]
            self.distance.index_copy_(0, rows, direct)
            squared = direct.to(torch.float64).square_()
            self.weights.index_copy_(0, rows, squared)
            self.threshold.index_copy_(0, rows, squared.mul_(self.factor).to(points.dtype))
        self.distance[pick] = 0.0
        self.weights[pick] = 0.0
        self.threshold[pick] = 0.0
        self.available[pick] = False


def lloyd(
    space: Workspace, seeds: Tensor, max_iterations: int = MAX_LLOYD_ITERATIONS
) -> KMeansResult:
    """Lloyd iterations from the centres ``space.points[seeds]`` (k >= 1): assign every row to
    its nearest centre, move each centre to the float64 mean of its rows (a centre without rows
    stays where it is), until no assignment changes or ``max_iterations`` updates."""
    centers = space.points.index_select(0, seeds).to(torch.float64)  # (k, D)
    labels = _assign(space, centers)
    iterations = 0
    for _ in range(max_iterations):
        centers = _update(space, labels, centers)
        iterations += 1
        new_labels = _assign(space, centers)
        if torch.equal(new_labels, labels):
            break
        labels = new_labels
    sizes = torch.bincount(labels, minlength=centers.shape[0])
    return KMeansResult(seeds, centers, labels, sizes, iterations)


def _update(space: Workspace, labels: Tensor, centers: Tensor) -> Tensor:
    """(k, D) float64 means of each centre's rows; a centre with no rows keeps ``centers``."""
    sums = torch.zeros_like(centers)
    step = chunk_rows(space.points.shape[1])
    for start in range(0, labels.shape[0], step):
        chunk = space.points[start : start + step].to(torch.float64)  # (c, D)
        sums.index_add_(0, labels[start : start + step], chunk)
    counts = torch.bincount(labels, minlength=centers.shape[0])
    filled = counts > 0
    return torch.where(filled[:, None], sums / counts.clamp(min=1)[:, None], centers)


def _assign(space: Workspace, centers: Tensor) -> Tensor:
    """(n,) int64 nearest centre of each row of ``space``; ``centers`` (k, D) float64."""
    return _nearest(
        space.points,
        space.sq_norms,
        lambda rows: space.points.index_select(0, rows).to(torch.float64),
        centers,
        lambda cols: centers.index_select(0, cols),
        space.gamma,
    )


def _nearest(
    queries: Tensor,
    query_sq: Tensor,
    queries64: Callable[[Tensor], Tensor],
    refs: Tensor,
    refs64: Callable[[Tensor], Tensor],
    gamma: float,
    tolerance: float = 0.0,
) -> Tensor:
    """(Q,) int64 the reference nearest each query, ties to the smaller reference number.

    tolerance: references within ``(1 + tolerance)`` times the smallest squared distance count
    as tied (0: exact ties only).

    queries: (Q, D) and refs: (K, D) in the working dtype or float64, with ``query_sq`` (Q,)
    their squared norms; ``queries64`` / ``refs64`` give the exact float64 rows the decision
    is made on (the working-dtype values may be their roundings). gamma: the expanded product's
    relative error bound (:attr:`Workspace.gamma`). Blocks of queries (block x K <= 2^22) are
    screened with the expanded product under a rigorous margin widened for that rounding; the
    candidates left are decided on direct float64 ``sum (q - r)^2``. Memory O(block x K).
    """
    dtype = queries.dtype
    refs_w = refs.to(dtype)
    ref_sq = refs.to(torch.float64).square().sum(dim=1).to(dtype)  # (K,)
    # each working value (and norm) may be the rounding of a float64 one: |q - r|^2 moves by
    # at most ~2 u (|q|^2 + |r|^2); 4 eps = 8 u covers it and the norms' own rounding
    slack = 4.0 * float(torch.finfo(dtype).eps)
    out = torch.empty(queries.shape[0], dtype=torch.int64, device=queries.device)
    block = max(1, _BLOCK_ELEMENTS // refs.shape[0])
    for start in range(0, queries.shape[0], block):
        rows = slice(start, start + block)
        sq = query_sq[rows]
        screened = expanded_squared(queries[rows], sq, refs_w, ref_sq)  # (R, K)
        scale = sq[:, None] + ref_sq[None, :]  # (R, K)
        margin = (gamma * (1.0 + slack) + slack) * scale
        best_high = (screened + margin).min(dim=1).values * (1.0 + tolerance)  # (R,)
        candidate = screened - margin <= best_high[:, None]  # (R, K)
        del screened, margin, scale
        pair_rows, pair_cols = candidate.nonzero(as_tuple=True)  # row-major: cols ascend
        direct = torch.empty(pair_rows.shape[0], dtype=torch.float64, device=queries.device)
        step = max(1, chunk_rows(queries.shape[1]) // 2)
        for begin in range(0, pair_rows.shape[0], step):
            r = pair_rows[begin : begin + step]
            c = pair_cols[begin : begin + step]
            diff = queries64(r + start).sub_(refs64(c))  # (p, D) float64
            direct[begin : begin + r.shape[0]] = diff.square_().sum(dim=1)
        n_rows = candidate.shape[0]
        best = direct.new_full((n_rows,), float("inf"))
        best.scatter_reduce_(0, pair_rows, direct, reduce="amin")
        wins = direct <= best[pair_rows] * (1.0 + tolerance)
        arg = torch.full((n_rows,), refs.shape[0], dtype=torch.int64, device=queries.device)
        arg.scatter_reduce_(0, pair_rows[wins], pair_cols[wins], reduce="amin")
        out[rows] = arg
    return out


def kmeans_clusters(space: Workspace, k: int, generator: torch.Generator) -> KMeansResult:
    """k-means++ (k uniforms from ``generator``, drawn on the CPU) then Lloyd: 1 <= k <= n."""
    uniforms = torch.rand(k, generator=generator, dtype=torch.float64)
    seeds = kmeans_plusplus(space, k, uniforms.to(space.points.device))
    return lloyd(space, seeds)


@dataclass(frozen=True)
class KMeansSelection:
    """picks: (b,) int64 pool indices, largest cluster first. sizes: (b,) int64 the unlabelled
    points in each pick's cluster."""

    picks: Tensor
    sizes: Tensor


def kmeans_selection(
    features: Tensor, labelled: Tensor, budget: SupportsIndex, generator: torch.Generator
) -> KMeansSelection:
    """The ``kmeans`` strategy: k-means with k = budget on the unlabelled points' features, then
    for each centre the unlabelled point nearest to it.

    features: (N, D) floating. labelled: (N,) bool (may be all False). generator: a seeded CPU
    ``torch.Generator`` (budget uniforms). Centres are taken by cluster size descending, ties
    to the smaller centre number (the k-means++ draw order); each takes its nearest point not
    taken by an earlier centre (ties, and squared distances within a relative
    :data:`NEAREST_TOLERANCE` of the smallest: the smaller pool index), so the picks are
    distinct.
    Returns (budget,) picks in that order.
    """
    check_seeded_pool(features, labelled, generator, "kmeans selection")
    count = check_budget(budget, int((~labelled).sum()))
    return _kmeans_selection(features, labelled, count, generator)


def _kmeans_selection(
    features: Tensor, labelled: Tensor, budget: int, generator: torch.Generator
) -> KMeansSelection:
    candidates = (~labelled).nonzero().squeeze(1)  # (U,) ascending pool indices
    empty = torch.empty(0, dtype=torch.int64, device=features.device)
    if budget == 0:
        return KMeansSelection(empty, empty.clone())
    space = make_workspace(features.index_select(0, candidates))
    result = kmeans_clusters(space, budget, generator)
    order = _by_size(result.sizes)
    taken = torch.zeros(candidates.shape[0], dtype=torch.bool, device=features.device)
    nearest = _nearest_rows(space, result.centers)  # (k,) each centre's nearest row
    local = torch.empty(budget, dtype=torch.int64, device=features.device)
    for position, center in enumerate(order.tolist()):
        row = int(nearest[center])
        if bool(taken[row]):  # shared with an earlier centre: its nearest row still free
            row = _nearest_free_row(space, result.centers[center], taken)
        local[position] = row
        taken[row] = True
    return KMeansSelection(candidates[local], result.sizes[order])


def _by_size(sizes: Tensor) -> Tensor:
    """Centre numbers by size descending, ties to the smaller number."""
    return torch.sort(sizes, descending=True, stable=True).indices


def _nearest_rows(space: Workspace, centers: Tensor) -> Tensor:
    """(k,) the row of ``space`` nearest each centre (k, D) float64, near-ties
    (:data:`NEAREST_TOLERANCE`) to the smaller row."""
    return _nearest(
        centers,
        centers.square().sum(dim=1),
        lambda rows: centers.index_select(0, rows),
        space.points,
        lambda cols: space.points.index_select(0, cols).to(torch.float64),
        space.gamma,
        NEAREST_TOLERANCE,
    )


def _nearest_free_row(space: Workspace, center: Tensor, taken: Tensor) -> int:
    """The row nearest ``center`` (D,) float64 among rows not ``taken``, by direct float64
    distances, near-ties (:data:`NEAREST_TOLERANCE`) to the smaller row."""
    free = (~taken).nonzero().squeeze(1)
    distance = torch.empty(free.shape[0], dtype=torch.float64, device=center.device)
    step = max(1, chunk_rows(space.points.shape[1]) // 2)
    for start in range(0, free.shape[0], step):
        chunk = space.points.index_select(0, free[start : start + step]).to(torch.float64)
        distance[start : start + chunk.shape[0]] = (chunk - center).square_().sum(dim=1)
    tied = distance <= distance.min() * (1.0 + NEAREST_TOLERANCE)
    return int(free[int(tied.nonzero()[0, 0])])
