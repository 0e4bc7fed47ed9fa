"""Euclidean distance kernels: screen with a matrix product, decide with direct differences.

Many-to-many distances run fastest as the expansion ``|x - c|^2 = |x|^2 + |c|^2 - 2 x.c``
(a matrix product), but its rounding error grows with ``|x|^2``, not with ``|x - c|^2``: for
tight clusters far from the origin, or concentrated high-dimensional features, it can exceed
the gaps between the distances themselves. So the expansion only *screens*: every value that
is stored (a min distance, a pick's score) comes from the direct ``sqrt(sum (x - c)^2)``,
accurate to a few ulps of the distance itself, and the expansion is trusted only to rule
candidates out, with a rigorous error margin (:attr:`Workspace.gamma`, or the tighter
:attr:`Workspace.lower_gamma` of :func:`lower_squared`, which keeps the norms out of the
product's sum). Kernels work on a mean-centred copy, which keeps ``|x|`` and so the margin
small.

The first pass (:func:`min_distances`, paper Algorithm 3) computes directly only the pairs the
screen cannot rule out, so its cost stays that of one matrix product even when the margin
leaves most rows with several candidates (D = 4,096, ReLU features). Before that product, the
triangle inequality through a few centres (anchors) rules most centres out of most rows when
the features have structure (clusters, classes), so the product covers only the pairs left.

Scale: the working copy is the features times a power of two 2^k, chosen so that the largest
magnitude lies in [1/2, 1). Multiplying by a power of two is exact and commutes with every
later rounding as long as nothing over- or underflows, which that range guarantees for squared
distances (unscaled, float32 features near 1e20 overflow and near 1e-25 underflow). So
``features`` and ``features * 2^j`` get the same working copy, bit for bit, and the same picks.
Distances the public functions return are multiplied back by 2^-k, exactly: they are in the
caller's units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from alcore.select._backoff import Backoff
from alcore.select._checks import (
    check_block_size,
    check_features,
    check_labelled,
    working_dtype,
)
from alcore.select._threads import bulk, one_thread

DEFAULT_BLOCK_SIZE = 1024
# Elements (rows x D) gathered at a time by the direct kernels: 4 MB of float32. Small
# temporaries also keep the C allocator from holding on to much freed memory.
_CHUNK_ELEMENTS = 1 << 20

# The first pass's triangle-inequality screen (Elkan's bound, through anchors): the first
# _ANCHORS centres are anchors; each row joins the group of its nearest anchor g, and a centre
# c enters the group's product only if d(c, g) could be within twice the group's largest
# distance to g (farther, c is farther from each of its rows than g, a centre itself). Where
# the groups would keep more than _ANCHOR_KEEP of the pairs (structureless features), or the
# pass is small, the product covers every pair.
_ANCHORS = 64
_ANCHOR_KEEP = 0.5
_ANCHOR_PAIRS = 1 << 22

ProgressFn = Callable[[str, int, int], None]
"""A progress callback: ``progress(phase, done, total)`` with Python ints."""


def chunk_rows(dim: int) -> int:
    """How many rows of ``dim`` features make one gather chunk of the direct kernels."""
    return max(1, _CHUNK_ELEMENTS // dim)


@dataclass(frozen=True)
class Workspace:
    """Scaled, centred features and their squared norms, shared by all selection kernels.

    points: (N, D) float32 (float64 if the input was float64), mean-centred, the features
    times ``2^exponent``.
    sq_norms: (N,) the squared row norms of ``points``, summed in float64 and rounded once.
    gamma: the relative error bound of :func:`expanded_squared`:
    ``|d2_expanded - d2| <= gamma (|x|^2 + |c|^2)``.
    lower_gamma: the (about 4 times tighter) bound of :func:`lower_squared`.
    exponent: k of the exact scaling 2^k; distances in ``points`` are 2^k times the caller's
    (see :func:`in_feature_units`).
    """

    points: Tensor
    sq_norms: Tensor
    gamma: float
    lower_gamma: float
    exponent: int


def make_workspace(features: Tensor, *, in_place: bool = False) -> Workspace:
    """Scale ``features`` (N, D) by a power of two and centre them into a working copy; the
    input is not modified, unless ``in_place``.

    The scale 2^k puts the largest magnitude in [1/2, 1): exact, and the same working copy for
    ``features`` and ``features * 2^j`` (whenever that product is itself exact).
    Extra memory: the copy, plus O(chunk) while summing the norms. ``in_place=True`` scales
    and centres ``features`` itself (float32 or float64 only): no copy, the same values.
    """
    dtype = working_dtype(features.dtype)
    if in_place and features.dtype != dtype:
        raise ValueError(
            f"overwriting {features.dtype} features is impossible: the engine works in "
            f"{dtype}; pass features.to({dtype}) or do not ask to overwrite them"
        )
    with one_thread(features.device):
        # a pass over the features on one thread: it tells bulk() whether the cores are free
        exponent = _normalising_exponent(features)
        with bulk():
            points = _scaled(features, exponent, dtype, in_place)
        # any centre works (distances are translation invariant): the mean keeps |x| smallest.
        # On one thread: with a single feature it is one sum, whose rounding (and so every
        # distance) would depend on the thread count.
        centre = points.mean(dim=0)
        with bulk():
            points.sub_(centre)
            sq_norms = _squared_norms(points)
    return Workspace(points, sq_norms, *_error_bounds(points.shape[1], dtype), exponent)


def _scaled(features: Tensor, exponent: int, dtype: torch.dtype, in_place: bool) -> Tensor:
    """``features`` times 2^exponent in ``dtype``: ``features`` itself when ``in_place``."""
    factors = list(_power_of_two_factors(exponent))
    if in_place:
        points = features
        for factor in factors:
            points.mul_(factor)  # the same rounding as the copy below: elementwise
    elif features.dtype == dtype and len(factors) == 1:
        points = features * factors[0]  # the copy and the scaling in one pass
    else:
        points = features.to(dtype=dtype, copy=True)
        for factor in factors:
            points.mul_(factor)
    return points


def _squared_norms(points: Tensor) -> Tensor:
    """(N,) squared row norms of ``points``, summed in float64 a chunk at a time and rounded
    once to the dtype of ``points``."""
    n_points, dim = points.shape
    sq_norms = points.new_empty(n_points)
    step = chunk_rows(dim)
    for start in range(0, n_points, step):
        chunk = points[start : start + step].to(torch.float64, copy=True)  # (c, D)
        sq_norms[start : start + chunk.shape[0]] = chunk.square_().sum(dim=1)
    return sq_norms


def in_feature_units(space: Workspace, values: Tensor) -> Tensor:
    """Distances (or doubt-weighted distances) of ``space`` in the caller's units: ``values``
    times 2^-exponent, exactly (a new tensor of the same shape and dtype)."""
    out = values.clone()
    for factor in _power_of_two_factors(-space.exponent):
        out.mul_(factor)
    return out


def _normalising_exponent(features: Tensor) -> int:
    """k such that ``max |features| * 2^k`` lies in [1/2, 1) (0 for all-zero features)."""
    low, high = torch.aminmax(features)  # one pass, no |features| copy
    largest = max(-float(low), float(high))
    if largest == 0.0:
        return 0
    _, exponent = math.frexp(largest)  # largest = m 2^e, m in [1/2, 1)
    return -exponent


# Largest power-of-two step applied at once: 2^100 and 2^-100 are normal float32 numbers, so
# each factor is exact in every working dtype (a subnormal input needs 2^149).
_STEP = 100


def _power_of_two_factors(exponent: int) -> Iterator[float]:
    """Factors, each an exact power of two in float32, whose product is 2^exponent (at least
    one, 1.0 for exponent 0)."""
    sign = 1 if exponent >= 0 else -1
    left = abs(exponent)
    while True:
        step = min(left, _STEP)
        yield 2.0 ** (sign * step)
        left -= step
        if left == 0:
            return


def _error_bounds(dim: int, dtype: torch.dtype) -> tuple[float, float]:
    """(gamma, lower_gamma) of :class:`Workspace` for ``dim`` features of ``dtype``.

    u is the unit roundoff. A dot product of length D is off by at most
    ``gamma_D |x||c| <= gamma_D (|x|^2 + |c|^2) / 2``, ``gamma_D = D u / (1 - D u)``, in any
    summation order, fused or not (Higham, Accuracy and Stability, section 3.1); the squared
    norms (float64 sums rounded once) by ``norm_error |x|^2``; each addition by u times the
    sum of its operands' magnitudes.
    """
    u = float(torch.finfo(dtype).eps) / 2.0
    gamma_d = dim * u / (1.0 - dim * u)
    u64 = 2.0**-53
    norm_error = (u if dtype != torch.float64 else 0.0) + (dim + 1) * u64 / (1 - dim * u64)
    # expanded_squared: addmm may add |x|^2 + |c|^2 into the product's own sum, so they can
    # carry gamma_(D+1) each: 2 gamma_(D+1) (|x|^2 + |c|^2) and the norms; doubled again.
    gamma = 4.0 * (dim + 4) * u
    # lower_squared: gamma_D for the product, norm_error + u for each scaled norm, 4 u for the
    # two additions (each operand is at most |x|^2 + |c|^2). The product's part plus 1%, the
    # rest doubled.
    lower_gamma = 1.01 * gamma_d + 2.0 * (norm_error + 5.0 * u)
    return gamma, lower_gamma


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


def lower_squared(
    space: Workspace,
    points: Tensor,
    sq: Tensor,
    scaled_centers: Tensor,
    center_sq: Tensor,
    out: Tensor | None = None,
) -> Tensor:
    """Rigorous lower limits of the squared distances: (R, D), (R,), (B, D), (B,) -> (R, B),
    written into ``out`` (R, B) when given.

    scaled_centers: ``-2 * centers`` (exact). Computes
    ``(1 - g) |x|^2 + (1 - g) |c|^2 - 2 x.c <= |x - c|^2`` with ``g = space.lower_gamma``: the
    product alone, then the norms added, so that its rounding error is ``gamma_D |x||c|``
    instead of :func:`expanded_squared`'s ``gamma_(D+1) (|x|^2 + |c|^2 + 2 |x||c|)``. The
    value plus :func:`lower_gap` is an upper limit.
    """
    lower = torch.mm(points, scaled_centers.T, out=out)  # (R, B) -2 x.c
    return lower.add_(kept_norms(space, sq)[:, None]).add_(kept_norms(space, center_sq)[None, :])


def lower_distances(
    space: Workspace, points: Tensor, sq: Tensor, scaled_centers: Tensor, center_sq: Tensor
) -> Tensor:
    """Rigorous lower limits of the distances themselves: :func:`lower_squared`'s arguments
    -> (R, B) float64."""
    lower = lower_squared(space, points, sq, scaled_centers, center_sq)
    return lower.to(torch.float64).clamp_(min=0.0).sqrt_()


def nearest_anchor(
    space: Workspace, points: Tensor, sq: Tensor, scaled_anchors: Tensor, anchor_sq: Tensor
) -> tuple[Tensor, Tensor]:
    """Each row's nearest anchor by the upper limits of :func:`lower_squared` plus
    :func:`lower_gap`, and that upper limit of its distance to it: :func:`lower_squared`'s
    arguments -> (R,) int64 anchor numbers, (R,) float64 distances."""
    limit = lower_squared(space, points, sq, scaled_anchors, anchor_sq)
    limit.add_(lower_gap(space, sq[:, None], anchor_sq[None, :]))  # upper limits
    upper, anchor = limit.to(torch.float64).clamp_(min=0.0).min(dim=1)
    return anchor, upper.sqrt_()


def lower_squared_to_one(
    space: Workspace, points: Tensor, kept_sq: Tensor, scaled_center: Tensor, center_sq: Tensor
) -> Tensor:
    """:func:`lower_squared` against one centre, with the rows' :func:`kept_norms` at hand:
    (R, D), (R,), (D,), (1,) -> (R,)."""
    lower = torch.mv(points, scaled_center)  # (R,) -2 x.c
    return lower.add_(kept_sq).add_(kept_norms(space, center_sq))


def kept_norms(space: Workspace, sq: Tensor) -> Tensor:
    """Squared norms as :func:`lower_squared` adds them: ``(1 - g) |x|^2``, rounded to their
    dtype (a new tensor)."""
    return sq * (1.0 - space.lower_gamma)


def lower_gap(space: Workspace, sq: Tensor, center_sq: Tensor | float) -> Tensor:
    """What to add to :func:`lower_squared` for an upper limit (broadcasts like the inputs)."""
    # 2 g (|x|^2 + |c|^2), and a little more for the rounding of this sum and product
    return ((2.0 + 2.0**-10) * space.lower_gamma) * (sq + center_sq)


def exact_to_points(points: Tensor, centers: Tensor) -> Tensor:
    """Direct distances ``|x_r - c_j|``: (R, D), (J, D) -> (R, J). ``cdist`` computes each
    pair alike whatever the shapes, so a pair's value never depends on its batch."""
    return torch.cdist(points, centers, compute_mode="donot_use_mm_for_euclid_dist")


def exact_to_point(points: Tensor, center: Tensor) -> Tensor:
    """Direct distances ``|x_r - c|``: (R, D), (1, D) -> (R,), one memory-bound pass."""
    return exact_to_points(points, center).squeeze(1)


def exact_to_point_pairs(
    left: Tensor, left_rows: Tensor, right: Tensor, right_rows: Tensor, right_scale: float = 1.0
) -> Tensor:
    """Direct distances ``|left[left_rows[p]] - right_scale * right[right_rows[p]]|``:
    (A, D), (P,), (B, D), (P,) -> (P,).

    right_scale: a power of two (exact), so that ``right`` may hold scaled centres. The same
    values as :func:`exact_to_point` gives each pair (one batched ``cdist``: its per-pair
    sum does not depend on the shapes), in chunks of O(chunk) extra memory.
    """
    out = left.new_empty(left_rows.shape[0])
    step = max(chunk_rows(left.shape[1]) // 2, 1)  # two gathered operands per pair
    for start in range(0, left_rows.shape[0], step):
        stop = min(start + step, left_rows.shape[0])
        points = left.index_select(0, left_rows[start:stop])[:, None, :]  # (p, 1, D)
        centers = right.index_select(0, right_rows[start:stop])
        if right_scale != 1.0:
            centers.mul_(right_scale)
        out[start:stop] = exact_to_points(points, centers[:, None, :]).view(-1)  # (p, 1, 1)
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
    that attains the smallest such value, the smallest pool index among equal ones, in the
    features' units (float32, or float64 for float64 features).
    progress: called as ``progress("min-distance", tiles done, tiles in all)`` after each tile.
    """
    check_features(features)
    check_labelled(labelled, features.shape[0], features.device)
    block_size = check_block_size(block_size)
    space = make_workspace(features)
    found = _min_distances(space, labelled.nonzero().squeeze(1), block_size, progress)
    return MinDistances(in_feature_units(space, found.distance), found.nearest)


def _min_distances(
    space: Workspace, centers: Tensor, block_size: int, progress: ProgressFn | None = None
) -> MinDistances:
    """:func:`_distinct_min_distances` over the distinct rows of ``space`` when many rows are
    exact copies of others (a collapsed model's features: every pair would tie otherwise),
    else directly. The answer is the same: copies have the same distances, and of identical
    centres the smallest pool index wins, as it would on a tie.

    The search for copies runs on one thread, which tells the tiles (:func:`bulk`) whether
    the cores are free (:mod:`alcore.select._threads`)."""
    with one_thread(space.points.device):
        distinct = _distinct_rows(space)
        if distinct is None:
            return _distinct_min_distances(space, centers, block_size, progress)
        rows, inverse = distinct  # (U,) each distinct row's first pool index, (N,) its number
        # each distinct row holding a centre stands for its smallest centre index (centers
        # ascend); the others keep N
        n_points = space.points.shape[0]
        first = torch.full((rows.shape[0],), n_points, dtype=torch.int64, device=rows.device)
        first.scatter_reduce_(0, inverse[centers], centers, reduce="amin")
        held = (first < n_points).nonzero().squeeze(1)  # distinct rows with a centre
        order = first[held].argsort()  # in the order of their centres' pool indices
        sub = replace(space, points=space.points[rows], sq_norms=space.sq_norms[rows])
        found = _distinct_min_distances(sub, held[order], block_size, progress)
        distance = found.distance[inverse]
        nearest = first[found.nearest][inverse]
        distance[centers], nearest[centers] = 0.0, centers
        return MinDistances(distance, nearest)


def _distinct_rows(space: Workspace) -> tuple[Tensor, Tensor] | None:
    """(first pool index of each distinct row (U,), each row's distinct number (N,)) when at
    least a tenth of the rows are copies, else None.

    Rows with equal projections on a random direction are compared with the first of them
    (exact equality, a chunk at a time): extra memory O(N + chunk), never a sorted copy of
    the features. Copies whose projections differ in rounding stay apart, which costs time,
    not exactness.
    """
    n = space.points.shape[0]
    g = torch.Generator(device="cpu").manual_seed(0)
    direction = torch.randn(space.points.shape[1], generator=g, dtype=torch.float64)
    projected = _project(space.points, direction.to(space.points.device))  # copies: equal
    order = projected.argsort(stable=True)  # equal projections keep the pool order
    ranked = projected[order]
    starts = torch.ones(n, dtype=torch.bool, device=order.device)
    starts[1:] = ranked[1:] != ranked[:-1]
    if int(starts.sum()) > 0.9 * n:
        return None
    position = torch.arange(n, device=order.device)
    leader = order[torch.where(starts, position, 0).cummax(dim=0).values]  # (N,) in rank order
    copy_of = torch.arange(n, device=order.device)  # each row's representative pool index
    step = chunk_rows(space.points.shape[1])
    followers = (~starts).nonzero().squeeze(1)
    for begin in range(0, followers.shape[0], step):
        ranks = followers[begin : begin + step]
        rows, leaders = order[ranks], leader[ranks]
        same = (space.points[rows] == space.points[leaders]).all(dim=1)
        copy_of[rows[same]] = leaders[same]
    first = torch.unique(copy_of)  # sorted pool indices of the representatives
    if first.shape[0] > 0.9 * n:
        return None
    return first, torch.searchsorted(first, copy_of)


def _project(points: Tensor, direction: Tensor) -> Tensor:
    """(N,) float64 projections of the rows on ``direction``, a chunk of rows at a time."""
    out = torch.empty(points.shape[0], dtype=torch.float64, device=points.device)
    step = chunk_rows(points.shape[1])
    for start in range(0, points.shape[0], step):
        out[start : start + step] = points[start : start + step].to(torch.float64) @ direction
    return out


def _distinct_min_distances(
    space: Workspace, centers: Tensor, block_size: int, progress: ProgressFn | None = None
) -> MinDistances:
    """Block-wise minimum over ``centers`` ((L,) int64 pool indices, L >= 1, in tie order).

    Each row's nearest centre is decided on float64 distances of the working points (exact to
    about ``D * 2^-53`` relative), at the first centre (in ``centers`` order) that attains the
    smallest; the stored distance is that float64 distance rounded to the working dtype. A
    tile screens with a float32 product under a rigorous margin; rows the screen leaves with
    several candidates are screened again with a float64 product, whose margin is ~1e-12
    relative; only the candidates left are computed directly (in float64). Where the float32
    screen keeps failing (distances concentrated within its margin, as in high-dimensional
    ReLU features), tiles go straight to the float64 screen for a while. Where anchors rule
    most centres out of most rows (:func:`_anchor_groups`), each group of rows is tiled
    against only the centres it keeps.
    """
    n_points = space.points.shape[0]
    device = space.points.device
    best = torch.full((n_points,), float("inf"), dtype=torch.float64, device=device)
    nearest = torch.zeros(n_points, dtype=torch.int64, device=device)
    anchored = _anchor_groups(space, centers)
    groups: list[tuple[slice | Tensor, Tensor]] = (
        [(slice(None), torch.arange(centers.shape[0], device=device))]
        if anchored is None
        else list(anchored)
    )
    total = sum(_tiles(_count(rows, n_points), kept.shape[0], block_size) for rows, kept in groups)
    done = 0
    screen = Backoff(enabled=space.points.dtype != torch.float64)
    for rows, kept in groups:
        n_rows = _count(rows, n_points)
        group_centers = centers[kept]  # in ``centers`` order: ties still go to the first
        for col_start in range(0, group_centers.shape[0], block_size):
            block = _CenterBlock.of(space, group_centers[col_start : col_start + block_size],
                                    block_size)  # fmt: skip
            for row_start in range(0, n_rows, block_size):
                tile = _part(rows, row_start, block_size)
                so_far = _take(best, tile)
                with bulk():  # the caller's threads while the cores are free
                    tile_best, tile_arg = _tile_min(
                        space, _take(space.points, tile), _take(space.sq_norms, tile), block,
                        so_far, screen,
                    )  # fmt: skip
                # strict < keeps the earlier (smaller-index) centre on ties across blocks
                better = tile_best < so_far
                best[tile] = torch.where(better, tile_best, so_far)
                nearest[tile] = torch.where(better, block.cols[tile_arg], _take(nearest, tile))
                done += 1
                if progress is not None:
                    progress("min-distance", done, total)
    best[centers] = 0.0
    nearest[centers] = centers
    return MinDistances(best.to(space.points.dtype), nearest)


def _count(rows: slice | Tensor, n_points: int) -> int:
    return n_points if isinstance(rows, slice) else rows.shape[0]


def _tiles(n_rows: int, n_cols: int, block_size: int) -> int:
    return -(-n_rows // block_size) * -(-n_cols // block_size)


def _part(rows: slice | Tensor, start: int, size: int) -> slice | Tensor:
    """Rows ``start:start + size`` of ``rows`` (every pool row, or (R,) pool indices)."""
    return slice(start, start + size) if isinstance(rows, slice) else rows[start : start + size]


def _take(values: Tensor, tile: slice | Tensor) -> Tensor:
    """``values[tile]``: a view of a slice, a gathered copy of indices."""
    return values[tile] if isinstance(tile, slice) else values.index_select(0, tile)


def _anchor_groups(space: Workspace, centers: Tensor) -> list[tuple[Tensor, Tensor]] | None:
    """The pool's rows grouped by their nearest anchor (the first ``_ANCHORS`` of
    ``centers``), each group with the centres that could be nearest to one of its rows:
    (pool rows (R,) ascending, positions in ``centers`` (K,) ascending) pairs; None when the
    pass is small or the groups would keep more than ``_ANCHOR_KEEP`` of the pairs (judged
    first on every 16th row, so that structureless features pay little for the try).

    Rigorous: with ``reach`` an upper limit of d(r, g) for a row r of anchor g's group, r's
    nearest centre is at most ``reach`` away (g is a centre); a centre c is left out only if
    a lower limit of d(c, g) exceeds twice the group's largest ``reach`` by a relative
    2^-20, so d(r, c) >= d(c, g) - d(r, g) exceeds the distance to g by far more than the
    rounding of a float64 direct distance: c could neither win nor tie.
    """
    n_points, n_centers = space.points.shape[0], centers.shape[0]
    if n_centers <= 2 * _ANCHORS or n_points * n_centers < _ANCHOR_PAIRS:
        return None
    anchors = _Anchors.of(space, centers)
    if anchors.keep(*anchors.nearest(space, slice(None, None, 16))) is None:
        return None
    group, reach = anchors.nearest(space, slice(None))
    found = anchors.keep(group, reach)
    if found is None:
        return None
    keep, sizes = found
    order = torch.argsort(group, stable=True)  # each group's rows ascend
    groups = []
    begin = 0
    for anchor, size in enumerate(sizes.tolist()):
        if size > 0:  # the anchor itself is always kept
            groups.append((order[begin : begin + size], keep[anchor].nonzero().squeeze(1)))
        begin += size
    return groups


@dataclass(frozen=True)
class _Anchors:
    """The first pass's anchors: scaled: (A, D) ``-2 g``; sq: (A,) ``|g|^2``; apart: (A, L)
    float64 lower limits of each centre's distance to each anchor."""

    scaled: Tensor
    sq: Tensor
    apart: Tensor

    @staticmethod
    def of(space: Workspace, centers: Tensor) -> _Anchors:
        anchors = centers[:_ANCHORS]
        scaled = space.points.index_select(0, anchors).mul_(-2.0)
        sq = space.sq_norms.index_select(0, anchors)
        center_sq = space.sq_norms.index_select(0, centers)
        apart = lower_distances(space, space.points.index_select(0, centers), center_sq, scaled, sq)
        return _Anchors(scaled, sq, apart.T)

    def nearest(self, space: Workspace, rows: slice) -> tuple[Tensor, Tensor]:
        """The nearest anchor of each of the pool's ``rows`` (R,) and an upper limit of the
        distance to it (R,) float64, a chunk of rows at a time."""
        points, sq_norms = space.points[rows], space.sq_norms[rows]
        group = torch.empty(points.shape[0], dtype=torch.int64, device=points.device)
        reach = torch.empty(points.shape[0], dtype=torch.float64, device=points.device)
        step = chunk_rows(points.shape[1])
        for start in range(0, points.shape[0], step):
            chunk = slice(start, start + step)
            group[chunk], reach[chunk] = nearest_anchor(
                space, points[chunk], sq_norms[chunk], self.scaled, self.sq
            )
        return group, reach

    def keep(self, group: Tensor, reach: Tensor) -> tuple[Tensor, Tensor] | None:
        """(A, L) bool, the centres each group keeps, and (A,) the groups' sizes, for rows in
        the groups ``group`` (R,) at most ``reach`` (R,) from their anchors; None when they
        would keep more than ``_ANCHOR_KEEP`` of the pairs."""
        need = reach.new_zeros(self.sq.shape[0]).scatter_reduce_(0, group, reach, reduce="amax")
        keep = self.apart <= need.mul_(2.0 * (1.0 + 2.0**-20))[:, None]  # (A, L)
        sizes = torch.bincount(group, minlength=self.sq.shape[0])  # (A,)
        if int((keep.sum(dim=1) * sizes).sum()) > _ANCHOR_KEEP * group.shape[0] * keep.shape[1]:
            return None
        return keep, sizes


@dataclass(frozen=True)
class _CenterBlock:
    """One block of centres in both precisions. cols: (B,) pool indices; scaled: (B, D)
    ``-2 c`` in the working dtype; center_keep: (B,) ``|c|^2`` scaled as :func:`lower_squared`
    scales it; largest_sq: the largest ``|c|^2`` of the block; points64: (B, D) float64;
    sq64: (B,) float64 ``|c|^2``; product: a (tile_rows * B,) buffer for a tile's product,
    reused by every tile (a fresh (tile_rows, B) result each tile costs a fifth more time on
    a CPU, in page faults)."""

    cols: Tensor
    scaled: Tensor
    center_keep: Tensor
    largest_sq: float
    points64: Tensor
    sq64: Tensor
    product: Tensor

    @staticmethod
    def of(space: Workspace, cols: Tensor, tile_rows: int) -> _CenterBlock:
        points = space.points.index_select(0, cols)  # (B, D)
        points64 = points.to(torch.float64, copy=True)  # a copy even for float64: scaled below
        center_sq = space.sq_norms[cols]
        return _CenterBlock(
            cols,
            points.mul_(-2.0),
            kept_norms(space, center_sq),
            float(center_sq.max()),
            points64,
            points64.square().sum(dim=1),
            points.new_empty(tile_rows * cols.shape[0]),
        )


# Up to this many float32 candidates a row on average, their float64 direct distances are
# cheaper than a float64 screen of the ambiguous rows (a gather per pair against a product).
_FEW_CANDIDATES = 8


def _gamma64(dim: int) -> float:
    """Relative error bound of a float64 expansion or direct squared distance of length D
    (Higham 3.1, with the norms' and additions' rounding; doubled for safety)."""
    return 4.0 * (dim + 4) * 2.0**-53


def _tile_min(
    space: Workspace,
    points: Tensor,
    sq: Tensor,
    block: _CenterBlock,
    best_so_far: Tensor,
    screen: Backoff,
) -> tuple[Tensor, Tensor]:
    """Exact row minima of one tile: R pool rows (``points`` (R, D), their squared norms
    ``sq`` (R,)) x B centres -> (R,) float64 distances, (R,) column indices into ``block.cols``.

    best_so_far: (R,) float64, each row's smallest distance to earlier centres (inf if none).
    A column stays a candidate unless a rigorous lower limit of its squared distance exceeds
    an upper limit of the winner's (the tile's best screened upper limit, or the best so far).
    The winner is the smallest float64 direct distance, the smallest column among equal ones.
    Rows whose every column is beaten by an earlier block get ``inf``.
    """
    n_rows = best_so_far.shape[0]
    slack = 1.0 + 4.0 * _gamma64(space.points.shape[1])  # float64 direct values' rounding
    earlier = best_so_far.square() * slack  # (R,) float64
    ambiguous: Tensor | None = None
    pairs: list[tuple[Tensor, Tensor]] = []
    if screen.should_try():
        candidate_rows, candidate_cols = _screen(space, points, sq, block, earlier, slack)
        count = candidate_rows.shape[0]
        if count <= _FEW_CANDIDATES * n_rows:  # direct distances are cheaper
            pairs.append((candidate_rows, candidate_cols))
            ambiguous = candidate_rows.new_empty(0)
        else:
            per_row = torch.bincount(candidate_rows, minlength=n_rows)  # (R,)
            single = per_row[candidate_rows] == 1
            pairs.append((candidate_rows[single], candidate_cols[single]))
            ambiguous = (per_row > 1).nonzero().squeeze(1)
        screen.record(ambiguous.shape[0] <= n_rows // 2)
    if ambiguous is None:
        ambiguous = torch.arange(n_rows, device=best_so_far.device)
    if ambiguous.shape[0] > 0:
        pairs.append(_float64_candidates(points, block, ambiguous, earlier, slack))
    pair_rows = torch.cat([r for r, _ in pairs])
    pair_cols = torch.cat([c for _, c in pairs])
    direct = exact_pairs64(points, pair_rows, block.points64, pair_cols)  # (P,)
    best = direct.new_full((n_rows,), float("inf"))
    best.scatter_reduce_(0, pair_rows, direct, reduce="amin")
    wins = direct == best[pair_rows]  # (P,) the pairs attaining their row's minimum
    arg = torch.full((n_rows,), block.cols.shape[0] - 1, dtype=torch.int64, device=direct.device)
    arg.scatter_reduce_(0, pair_rows[wins], pair_cols[wins], reduce="amin")
    return best, arg  # rows without a pair keep best = inf, so arg is never used for them


def _screen(
    space: Workspace, points: Tensor, sq: Tensor, block: _CenterBlock, earlier: Tensor, slack: float
) -> tuple[Tensor, Tensor]:
    """The (row, column) pairs of one tile that the working-precision screen cannot rule out:
    (P,) tile-local rows, (P,) columns into ``block.cols``.

    The lower limit of a squared distance is :func:`lower_squared`'s with the row's norm term
    added last, in float64: ``y + keep |x|^2`` with ``y = -2 x.c + keep |c|^2`` rounded to the
    working dtype (one rounded addition where :func:`lower_squared` has two: within its
    margin). So the row's term never touches the (R, B) tile: a column is a candidate when
    ``y <= bound - keep |x|^2``, compared in the working dtype against that threshold rounded
    up (only ever a superset of the exact comparison). A row's bound is the smallest lower
    limit plus :func:`lower_gap` for the block's largest ``|c|^2`` (an upper limit of that
    column's squared distance), or the best so far if smaller, times ``slack``.
    """
    product = block.product[: earlier.shape[0] * block.cols.shape[0]].view(earlier.shape[0], -1)
    partial = torch.mm(points, block.scaled.T, out=product)
    partial.add_(block.center_keep[None, :])
    row_keep = kept_norms(space, sq).to(torch.float64)  # (R,)
    lowest = partial.amin(dim=1).to(torch.float64) + row_keep  # (R,)
    upper = lowest + lower_gap(space, sq, block.largest_sq).to(torch.float64)  # >= a true d^2
    bound = torch.minimum(upper, earlier) * slack  # (R,) float64
    above = torch.full_like(bound, math.inf)
    threshold = torch.nextafter(bound - row_keep, above).to(partial.dtype)  # rounded up
    return at_most(partial, threshold)


def at_most(values: Tensor, limits: Tensor) -> tuple[Tensor, Tensor]:
    """Where ``values[r, c] <= limits[r]``: (R, C), (R,) -> (P,) rows, (P,) columns, in
    row-major order (as ``nonzero``). On a CPU through NumPy, whose comparison and
    ``flatnonzero`` run about 5 times as fast as torch's on a (1024, 1024) tile."""
    if values.device.type != "cpu":
        rows, columns = (values <= limits[:, None]).nonzero(as_tuple=True)
        return rows, columns
    flat = np.flatnonzero(values.numpy() <= limits.numpy()[:, None])
    width = values.shape[1]
    return torch.from_numpy(flat // width), torch.from_numpy(flat % width)


def _float64_candidates(
    tile: Tensor, block: _CenterBlock, local_rows: Tensor, earlier: Tensor, slack: float
) -> tuple[Tensor, Tensor]:
    """The (row, column) pairs of ``local_rows`` (indices into the tile's points ``tile``)
    that a float64 screen cannot rule out: (P,) rows, (P,) columns."""
    points = tile.index_select(0, local_rows).to(torch.float64)  # (A, D)
    sq = points.square().sum(dim=1)  # (A,)
    squared = torch.addmm(sq[:, None] + block.sq64[None, :], points, block.points64.T, alpha=-2.0)
    margin = _gamma64(points.shape[1]) * (sq[:, None] + block.sq64[None, :])  # (A, B)
    upper = (squared + margin).min(dim=1).values  # (A,) >= the winner's true d^2
    bound = torch.minimum(upper, earlier[local_rows]) * slack
    keep_rows, keep_cols = (squared - margin <= bound[:, None]).nonzero(as_tuple=True)
    return local_rows[keep_rows], keep_cols


def exact_pairs64(left: Tensor, left_rows: Tensor, right: Tensor, right_rows: Tensor) -> Tensor:
    """Direct float64 distances ``|left[left_rows[p]] - right[right_rows[p]]|``: (A, D), (P,),
    (B, D), (P,) -> (P,) float64, in chunks (extra memory O(chunk) however many pairs there
    are). Either operand may be float64 already (a centre block's copy): the differences
    are the same, each exact in float64."""
    out = torch.empty(left_rows.shape[0], dtype=torch.float64, device=left.device)
    step = max(chunk_rows(left.shape[1]) // 2, 1)  # float64 chunks of the same size in bytes
    for start in range(0, left_rows.shape[0], step):
        stop = min(start + step, left_rows.shape[0])
        diff = left.index_select(0, left_rows[start:stop]).to(torch.float64)  # (p, D)
        diff.sub_(right.index_select(0, right_rows[start:stop]))
        out[start:stop] = torch.linalg.vector_norm(diff, dim=1)
    return out
