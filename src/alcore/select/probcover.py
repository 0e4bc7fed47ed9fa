"""ProbCover (Yehuda, Dekel, Hacohen & Weinshall, NeurIPS 2022): greedy max coverage of δ-balls.

"Active Learning Through a Covering Lens", and the authors' code (github.com/avihu111/TypiClust,
``deep-al/pycls/al/prob_cover.py``):

1. **Embedding.** The pool features, L2-normalised per row as for ``typiclust``
   (:func:`alcore.select.typiclust.normalised`: float64 arithmetic rounded once to the working
   dtype; an all-zero row stays 0). Every distance below is between these normalised rows.
2. **Balls.** The ball of x holds every pool point y with ``|x - y| < δ`` (strict, the
   authors' ``dist < delta``); x *covers* the points of its ball, itself included.
3. **δ by the purity rule.** Pseudo-labels: k-means of the whole normalised pool into
   ``k = min(C, N)`` clusters (C the probabilities' class count; the k-means++ and Lloyd of
   :mod:`alcore.select.kmeans`, ``k`` uniforms from the run's generator). x is *pure* at δ when
   every point of its ball shares x's pseudo-label; purity(δ) is the fraction of pure points, and
   δ is the largest one with purity(δ) >= :data:`ALPHA` = 0.95 (the paper's α). With
   ``r_x`` the distance from x to the nearest point of another pseudo-label, x is pure iff
   ``r_x >= δ``, so that δ is exactly the ``ceil(ALPHA N)``-th largest ``r_x`` (no grid
   search). When k-means leaves a single pseudo-label (C = 1, N = 1, identical features) every
   ``r_x`` is infinite, every δ is pure, and δ = inf: every ball is the whole pool.
4. **Greedy max coverage.** Points in the ball of a labelled point start covered. Each pick is
   the unlabelled, unpicked point whose ball holds the most uncovered points, ties to the
   smaller pool index; its whole ball becomes covered. (Every uncovered point is unlabelled,
   unpicked and covers itself, so a pick always covers something while anything is uncovered.)
5. **Random tail.** Once everything is covered, the remaining ``t`` picks are uniformly random
   among the unlabelled, unpicked points: ``t`` float64 uniforms ``u`` drawn at once, after
   k-means' ``k``, as ``torch.rand(t, dtype=float64, generator=generator)``; with ``R`` the
   remaining points in ascending pool index, each ``u`` in turn takes and removes
   ``R[min(floor(u * len(R)), len(R) - 1)]``.

Scores: each pick's number of newly covered points (float64; 0 for the random tail, since a
greedy pick covers at least itself).

**The ball decision.** "y in the ball of x" is decided everywhere (the r_x pass, the labelled
start, the out-degrees, each pick's ball, their updates) by one rule: ``d2(x, y) < δ²``, with
``d2`` the float64 sum of the squared coordinate differences of the normalised rows (widened to
float64) *accumulated in coordinate order* (:func:`pair_sq`). Elementwise IEEE operations only,
so a pair's value never depends on which batch computes it, ``d2(x, y) == d2(y, x)`` bit for bit,
and a reference that sums in the same order gets the same bits. ``r_x²`` is the minimum of these
values and δ² one of them, so purity at δ is exactly as stated above. In particular the pair that
sets δ lies exactly on the boundary and is *outside* the ball (strict), and any other pair whose
``d2`` rounds to δ² is outside too. A float64 matrix-product screen, under a rigorous error
margin, only rules pairs in or out that the rule would decide the same way; the pairs within the
margin of δ² get ``d2`` itself. δ > 0, so every point covers itself: rows of different
pseudo-labels differ, and their ``d2`` is positive unless every squared difference underflows
to 0 (only float64 rows closer than ~1e-160 can; then δ = 0, no ball holds anything and every
pick is random).

**Cost.** Memory: the normalised pool twice (working dtype and float64; and k-means' copy while
it runs) plus O(block_size²) for a tile; never an N x N matrix. Time: one pass over all N x N
pairs for r_x, one over (labelled x N) for the labelled start, one over (unlabelled x N) for the
out-degrees, and, since every point becomes covered at most once, at most one more N x N pass
for all the degree updates together (after each pick, every newly covered y decrements the
degree of every unlabelled, unpicked point within δ of it), plus one 1 x N pass per pick for
its ball; k-means as in :mod:`alcore.select.kmeans`.

``progress(phase, done, total)``: ``"purity"`` after every tile of the r_x pass,
``"degrees"`` after every tile of the labelled start and the out-degree pass, ``"picks"`` after
every pick (the random tail included).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select._checks import as_count, check_block_size, check_budget, check_seeded_pool
from alcore.select.distances import DEFAULT_BLOCK_SIZE, ProgressFn, chunk_rows, make_workspace
from alcore.select.kmeans import kmeans_clusters
from alcore.select.pool import Options, Pool, Selection, need, with_diagnostics
from alcore.select.typiclust import normalised

__all__ = ["ALPHA", "ProbCoverSelection", "pair_sq", "probcover", "probcover_strategy"]

# The purity threshold α of the paper's choice of δ (the largest δ with purity >= α = 0.95).
# A Fraction, so that ceil(ALPHA * N) is exact (the float 0.95 is slightly below 95/100).
ALPHA = Fraction(95, 100)


@dataclass(frozen=True)
class ProbCoverSelection:
    """picks: (b,) int64 pool indices in pick order. covered: (b,) float64 the points each pick
    newly covered (0 for the random tail). greedy: how many picks were greedy (the first ones;
    the rest are the random tail). delta: the ball radius δ in normalised-feature units (inf
    with one pseudo-label; nan for b = 0, when nothing is computed). purity: the fraction of
    pure points at δ (>= 0.95; nan for b = 0). labels: (N,) int64 the k-means pseudo-labels
    (None for b = 0)."""

    picks: Tensor
    covered: Tensor
    greedy: int
    delta: float
    purity: float
    labels: Tensor | None


def probcover(
    features: Tensor,
    labelled: Tensor,
    n_classes: SupportsIndex,
    budget: SupportsIndex,
    generator: torch.Generator,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: ProgressFn | None = None,
) -> ProbCoverSelection:
    """ProbCover picks (module docstring).

    features: (N, D) floating. labelled: (N,) bool (may be all False). n_classes: C >= 1, the k
    of the purity rule's k-means (``min(C, N)`` clusters). generator: a seeded CPU
    ``torch.Generator`` (k uniforms for k-means++, then one per random-tail pick). block_size:
    tiles hold at most block_size² pairs. Returns (budget,) distinct unlabelled pool indices in
    pick order with the points each newly covered.
    """
    check_seeded_pool(features, labelled, generator, "probcover")
    classes = as_count(n_classes, "n_classes")
    if classes < 1:
        raise ValueError(f"n_classes={classes} must be >= 1 (the class count C)")
    count = check_budget(budget, int((~labelled).sum()))
    block = check_block_size(block_size)
    return _probcover(features, labelled, classes, count, generator, block, progress)


def probcover_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    """The ``probcover`` kind: :func:`probcover` with C = ``probs.shape[1]``; scores are the
    points each pick newly covered."""
    features = need(pool.features, "probcover", "features")  # checked in select
    probs = need(pool.probs, "probcover", "probs")  # only its class count is read
    assert options.generator is not None  # checked in select
    found = _probcover(
        features,
        pool.labelled,
        probs.shape[1],
        budget,
        options.generator,
        DEFAULT_BLOCK_SIZE,
        options.progress,
    )
    return with_diagnostics(pool, found.picks, found.covered, options.progress)


def _probcover(
    features: Tensor,
    labelled: Tensor,
    n_classes: int,
    budget: int,
    generator: torch.Generator,
    block_size: int,
    progress: ProgressFn | None,
) -> ProbCoverSelection:
    device = features.device
    n_points = features.shape[0]
    if budget == 0:  # nothing to pick: no k-means, no draws
        picks = torch.empty(0, dtype=torch.int64, device=device)
        covered = torch.empty(0, dtype=torch.float64, device=device)
        return ProbCoverSelection(picks, covered, 0, math.nan, math.nan, None)
    points = normalised(features)  # (N, D) working dtype
    labels = kmeans_clusters(make_workspace(points), min(n_classes, n_points), generator).labels
    space = _Space.of(points)
    del points
    r2 = _other_label_sq(space, labels, block_size, progress)
    delta2 = purity_threshold(r2)
    purity = int((r2 >= delta2).sum()) / n_points
    del r2
    picks, covered, available, greedy = _greedy(
        space, labelled, budget, delta2, block_size, progress
    )
    tail = budget - greedy
    if tail > 0:
        # the draws come after k-means' (and only when needed): see the module docstring
        uniforms = torch.rand(tail, generator=generator, dtype=torch.float64).tolist()
        remaining = available.nonzero().squeeze(1).tolist()  # ascending pool indices
        for step, u in enumerate(uniforms, start=greedy):
            picks[step] = remaining.pop(min(int(u * len(remaining)), len(remaining) - 1))
            if progress is not None:
                progress("picks", step + 1, budget)
    return ProbCoverSelection(picks, covered, greedy, math.sqrt(delta2), purity, labels)


@dataclass(frozen=True)
class _Space:
    """The normalised pool for the ball decisions. points: (N, D) float64. sq_norms: (N,)
    float64 squared row norms. margin: the screen's rigorous bound, relative to
    ``|x|² + |y|²``, on ``|expanded - pair_sq|`` (see :meth:`of`)."""

    points: Tensor
    sq_norms: Tensor
    margin: float

    @staticmethod
    def of(points: Tensor) -> _Space:
        points64 = points.to(torch.float64).contiguous()  # (N, D): exact widening
        sq_norms = torch.empty(points.shape[0], dtype=torch.float64, device=points.device)
        step = chunk_rows(points.shape[1])
        for start in range(0, points.shape[0], step):
            sq_norms[start : start + step] = points64[start : start + step].square().sum(dim=1)
        # With u = 2^-53 and s = |x|^2 + |y|^2: the expanded product (norms and their sum
        # included) is within about 4 (D + 2) u s of |x - y|^2 (Higham 3.1), pair_sq within
        # (D + 3) u |x - y|^2 <= 2 (D + 3) u s, and e +- margin adds a rounding of u (3 s).
        # 8 (D + 8) u s covers the sum with room to spare; it only costs direct evaluations of
        # the pairs within ~1e-13 of delta^2.
        margin = 8.0 * (points.shape[1] + 8) * 2.0**-53
        return _Space(points64, sq_norms, margin)


def pair_sq(points: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """``d2`` of the ball decision: (N, D) float64, (P,), (P,) int64 -> (P,) float64.

    ``d2(x, y) = (...((x_0 - y_0)^2 + (x_1 - y_1)^2) + ...) + (x_{D-1} - y_{D-1})^2``, summed in
    coordinate order with elementwise float64 operations only: the value of a pair does not
    depend on the batch it is computed in, and ``d2(x, y) == d2(y, x)`` exactly.
    """
    out = torch.empty(rows.shape[0], dtype=torch.float64, device=points.device)
    step = max(1, chunk_rows(points.shape[1]) // 2)  # two gathered operands per pair
    for start in range(0, rows.shape[0], step):
        diff = points.index_select(0, rows[start : start + step])
        diff.sub_(points.index_select(0, cols[start : start + step])).square_()  # (p, D)
        columns = diff.T.contiguous()  # (D, p): each coordinate's squares, contiguous
        total = torch.zeros(columns.shape[1], dtype=torch.float64, device=points.device)
        for column in columns:  # in coordinate order: the order fixes the rounding
            total.add_(column)
        out[start : start + total.shape[0]] = total
    return out


def purity_threshold(r2: Tensor) -> float:
    """δ² of the purity rule from ``r2`` (N,) float64, each point's squared distance to the
    nearest point of another pseudo-label (inf without one): the ``ceil(ALPHA N)``-th largest.

    x is pure at δ iff ``r_x >= δ``, so purity(δ) = #{x: r_x >= δ} / N; it is >= ALPHA at this
    value and below ALPHA at any larger δ.
    """
    count = math.ceil(ALPHA * r2.shape[0])  # >= 1 for N >= 1
    return float(torch.sort(r2, descending=True).values[count - 1])


def _tiles(rows: Tensor, n_cols: int, block_size: int) -> Iterator[tuple[Tensor, slice]]:
    """Tiles of (rows, columns): at most block_size rows (pool indices, gathered) against a
    slice of columns ``max(block_size, block_size² // R)`` wide, so that a tile of R rows holds at
    most block_size² pairs (one row: one pass over up to block_size² columns)."""
    for start in range(0, rows.shape[0], block_size):
        part = rows[start : start + block_size]
        width = max(block_size, block_size * block_size // part.shape[0])
        for col_start in range(0, n_cols, width):
            yield part, slice(col_start, min(col_start + width, n_cols))


def _tile_count(n_rows: int, n_cols: int, block_size: int) -> int:
    """How many tiles :func:`_tiles` yields."""
    total = 0
    for start in range(0, n_rows, block_size):
        part = min(block_size, n_rows - start)
        width = max(block_size, block_size * block_size // part)
        total += -(-n_cols // width)
    return total


def _screen(space: _Space, rows: Tensor, cols: slice) -> tuple[Tensor, Tensor]:
    """(expanded ``|x|² + |y|² - 2 x.y``, its margin): both (R, K) float64 for the pool rows
    ``rows`` (R,) against the columns ``cols``; ``|expanded - pair_sq| <= margin``."""
    x = space.points.index_select(0, rows)  # (R, D)
    scale = space.sq_norms.index_select(0, rows)[:, None] + space.sq_norms[cols][None, :]
    expanded = torch.addmm(scale, x, space.points[cols].T, alpha=-2.0)  # (R, K)
    return expanded, scale.mul_(space.margin)


def _inside(
    space: _Space, rows: Tensor, cols: slice, delta2: float, col_mask: Tensor | None
) -> Tensor:
    """(R, K) bool: column y is in the ball of row x (``pair_sq < delta2``), and ``col_mask``
    (K,) holds for y (None: every column). The screen decides what its margin allows; the rest
    gets :func:`pair_sq` itself."""
    expanded, margin = _screen(space, rows, cols)
    inside = (expanded + margin) < delta2  # surely pair_sq < delta2
    unsure = (expanded - margin) < delta2  # pair_sq may be below delta2
    unsure &= ~inside
    if col_mask is not None:
        inside &= col_mask[None, :]
        unsure &= col_mask[None, :]
    del expanded, margin
    pair_rows, pair_cols = unsure.nonzero(as_tuple=True)
    if pair_rows.shape[0] > 0:
        d2 = pair_sq(space.points, rows[pair_rows], pair_cols + cols.start)
        inside[pair_rows, pair_cols] = d2 < delta2
    return inside


def _other_label_sq(
    space: _Space, labels: Tensor, block_size: int, progress: ProgressFn | None
) -> Tensor:
    """(N,) float64 ``r_x² = min pair_sq(x, y)`` over the points y of another pseudo-label
    (inf if none), by tiles: a column stays a candidate unless the screen's lower limit exceeds
    an upper limit of the row's minimum (the tile's best upper limit, or the minimum so far)."""
    n_points = space.points.shape[0]
    device = space.points.device
    r2 = torch.full((n_points,), math.inf, dtype=torch.float64, device=device)
    all_rows = torch.arange(n_points, device=device)
    total = _tile_count(n_points, n_points, block_size)
    for done, (rows, cols) in enumerate(_tiles(all_rows, n_points, block_size), start=1):
        expanded, margin = _screen(space, rows, cols)
        other = labels.index_select(0, rows)[:, None] != labels[cols][None, :]  # (R, K)
        upper = torch.where(other, expanded + margin, math.inf).min(dim=1).values  # (R,)
        bound = torch.minimum(upper, r2.index_select(0, rows))  # >= the row's new minimum
        candidate = (expanded - margin) <= bound[:, None]
        candidate &= other
        del expanded, margin, other
        pair_rows, pair_cols = candidate.nonzero(as_tuple=True)
        if pair_rows.shape[0] > 0:
            d2 = pair_sq(space.points, rows[pair_rows], pair_cols + cols.start)
            best = torch.full((rows.shape[0],), math.inf, dtype=torch.float64, device=device)
            best.scatter_reduce_(0, pair_rows, d2, reduce="amin")
            r2.index_copy_(0, rows, torch.minimum(r2.index_select(0, rows), best))
        if progress is not None:
            progress("purity", done, total)
    return r2


def _greedy(
    space: _Space,
    labelled: Tensor,
    budget: int,
    delta2: float,
    block_size: int,
    progress: ProgressFn | None,
) -> tuple[Tensor, Tensor, Tensor, int]:
    """Greedy max coverage: (picks (budget,) int64 with the first ``greedy`` filled, covered
    (budget,) float64 newly covered counts (0 after them), available (N,) bool: unlabelled and
    not picked, greedy).

    Invariant: ``degree[x]`` = the uncovered points in the ball of x, for every available x.
    """
    n_points = space.points.shape[0]
    device = space.points.device
    picks = torch.empty(budget, dtype=torch.int64, device=device)
    gains = torch.zeros(budget, dtype=torch.float64, device=device)
    available = ~labelled
    covered = torch.zeros(n_points, dtype=torch.bool, device=device)
    starts = labelled.nonzero().squeeze(1)
    candidates = available.nonzero().squeeze(1)
    total = _tile_count(starts.shape[0], n_points, block_size)
    total += _tile_count(candidates.shape[0], n_points, block_size)
    done = 0
    for rows, cols in _tiles(starts, n_points, block_size):
        covered[cols] |= _inside(space, rows, cols, delta2, None).any(dim=0)
        done += 1
        if progress is not None:
            progress("degrees", done, total)
    degree = torch.zeros(n_points, dtype=torch.int64, device=device)
    uncovered = ~covered
    for rows, cols in _tiles(candidates, n_points, block_size):
        inside = _inside(space, rows, cols, delta2, uncovered[cols])
        degree.index_add_(0, rows, inside.sum(dim=1))
        done += 1
        if progress is not None:
            progress("degrees", done, total)
    del uncovered
    greedy = 0
    for step in range(budget):
        best = int(torch.where(available, degree, -1).argmax())  # first maximum: smallest index
        gain = int(degree[best])
        if gain <= 0:  # everything is covered: the random tail takes the rest
            break
        newly = _ball(space, best, ~covered, delta2, block_size)
        assert newly.shape[0] == gain, "the degrees must count the uncovered points in a ball"
        covered[newly] = True
        # the ball decision is symmetric: the points within delta of a newly covered y are
        # those whose balls held y, and each loses one from its degree
        for rows, cols in _tiles(newly, n_points, block_size):
            inside = _inside(space, rows, cols, delta2, available[cols])
            degree[cols] -= inside.sum(dim=0)
        available[best] = False
        picks[step], gains[step] = best, float(gain)
        greedy = step + 1
        if progress is not None:
            progress("picks", step + 1, budget)
    return picks, gains, available, greedy


def _ball(space: _Space, row: int, col_mask: Tensor, delta2: float, block_size: int) -> Tensor:
    """(g,) int64 ascending: the points of ``col_mask`` (N,) bool in the ball of ``row``."""
    n_points = space.points.shape[0]
    rows = torch.tensor([row], dtype=torch.int64, device=space.points.device)
    found = [
        _inside(space, rows, cols, delta2, col_mask[cols])[0].nonzero().squeeze(1) + cols.start
        for _, cols in _tiles(rows, n_points, block_size)
    ]
    return torch.cat(found)
