"""Greedy core-set (paper Algorithm 1) and its doubt-weighted form (Algorithm 2).

Each pick takes the unlabelled, unpicked point with the largest score ``m(i)`` (or
``doubt(i) * m(i)``), ties to the smallest index, then lowers every ``m(k)`` to its distance to
the new centre.

Done eagerly (``lazy=False``), every pick reads all N rows: memory-bound, ~7 ms a pick at
N = 50,000, D = 512 on a CPU. But a pick only needs the largest score, and a min distance that
has not seen the latest centres is an upper bound of the current one (a minimum only falls).
So with ``lazy=True`` each point keeps its min distance over the centres it has seen, and a
pick brings up to date only the points whose stale score could still be the largest
(:class:`MinDistanceState`): a hot set of about a thousand rows a pick instead of N, the others
in bulk and against many centres at once (a matrix product) when the hot set runs dry. Minima
do not depend on the order of their terms, and every distance is the same direct value as in
the eager pass, so both store the same values and make the same picks.

Within the hot set a new centre is first screened by one matrix-vector product under the
rigorous margin of :func:`alcore.select.distances.lower_squared`: only the rows it could lower
get a direct distance. A row it cannot lower would keep its value under the direct minimum
too, so the screen changes the cost, not the values. A refresh screens the same way against
many centres at once, and first rules centres out of whole groups of rows by the triangle
inequality through a few early picks (anchors): d(r, c) >= d(c, g) - d(r, g).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from alcore.select._threads import bulk, one_thread
from alcore.select.distances import (
    MinDistances,
    ProgressFn,
    Workspace,
    at_most,
    exact_to_point,
    exact_to_point_pairs,
    exact_to_points,
    kept_norms,
    lower_distances,
    lower_gap,
    lower_squared,
    lower_squared_to_one,
    nearest_anchor,
)

# Rows a lazy greedy search keeps up to date at every pick, rebuilt when they run dry (the
# beams' share is alcore.select.beam.SHARE_ROWS).
HOT_ROWS = 1024
# A hot set that runs dry within _SHORT_LIVED picks is rebuilt from twice as many refreshed
# rows from then on (at most _WIDEST x HOT_ROWS): refreshing a row early costs fewer centres
# than refreshing it later, and a poor start (a single labelled point) leaves nearly every
# stale score too high, so every row comes up. The width never narrows again: a rebuild's
# cost is mostly per centre and per anchor group, not per row, and measured, narrowing after
# long-lived sets cost single-start searches 7-12% (N = 50,000, D = 512, b = 2,000).
_SHORT_LIVED = 32
_WIDEST = 4
# A rebuild refreshes its rows against the picks they have not seen oldest first, in steps of
# _STOP_PICKS picks, then twice as many, and so on, and a row whose score falls below the
# rebuild's floor stops there (it cannot join the hot set). Structureless features stop most
# rows early (0.65x the time from a single start, N = 50,000, D = 512); the doubling steps
# keep the extra products few where anchors already rule most pairs out.
_STOP_PICKS = 256
# Every _COMPACT_EVERY picks, a hot set drops its rows that score below its floor, once they
# are half of it (:meth:`MinDistanceState._compact_hot`).
_COMPACT_EVERY = 16
# Up to this many (row, centre) pairs a refresh computes every distance directly; more are
# screened with a matrix product first.
_DIRECT_PAIRS = 4096
# Pairs (rows x centres) screened at a time by a refresh, so extra memory stays bounded.
_SCREEN_PAIRS = 1 << 20
# The triangle-inequality screen of a refresh (Elkan's bound, through anchors): the first
# _ANCHORS picks are anchors, and a block whose product would take at least _ANCHOR_WORK
# multiply-adds (2^18 pairs at D = 512, 2^15 at D = 4,096) is split by each row's nearest
# anchor g; a centre c goes into a group's product only if
# d(c, g) - d(r, g) could be below the value of some row r of the group. Clustered and
# ReLU-like features rule most centres out of most groups. Where the anchors would keep more
# than _ANCHOR_KEEP of a block's pairs (structureless features), the block is one product,
# and the anchors wait until the picks have doubled (values fall, and the bound tightens).
_ANCHORS = 16
_ANCHOR_WORK = 1 << 27
_ANCHOR_KEEP = 0.75


@dataclass(frozen=True)
class _Hot:
    """The rows :class:`MinDistanceState` keeps up to date at every pick, in dense buffers.

    rows: (H,) ascending pool indices; row_list: the same as Python ints. points: (H, D)
    their features (a gathered copy; the pool itself when every row is hot); kept_sq: (H,)
    their squared norms as the screen adds them (:func:`kept_norms`). values: (H,) their
    min distances, up to date, and -1 where a row is no candidate (picked since the build;
    labelled, when every row is hot): a minimum with a distance keeps -1, so such a row
    never scores. weight: (H,) the score weight, 1 where
    ``values`` is -1 (so the score is -1 there too), or None for ``values`` itself. score:
    (H,) a buffer for ``values * weight``. bound: (H,) float64, how far a row's squared
    distance to a new centre may reach and still lower its value (the value squared, widened
    by the rounding of a direct distance), -inf where ``values`` is -1; None when every row
    is hot (a literal pass, no screen). floor: every available row outside ``rows`` has a
    stale score below it (-inf when every row is hot). key: the score weight it serves.
    """

    rows: Tensor
    row_list: list[int]
    points: Tensor
    kept_sq: Tensor
    values: Tensor
    weight: Tensor | None
    score: Tensor
    bound: Tensor | None
    floor: float
    key: Tensor | None


@dataclass(frozen=True)
class GreedyTrace:
    """What one greedy run produced.

    picks: (b,) int64 pool indices in pick order.
    scores: (b,) the score (m or doubt * m) of each pick when it was picked.
    distances: every point's distance to the nearest labelled or picked point, up to date
    where asked (:meth:`MinDistanceState.largest`, :meth:`MinDistanceState.exact`).
    """

    picks: Tensor
    scores: Tensor
    distances: MinDistanceState


def greedy(
    space: Workspace,
    start: MinDistances,
    labelled: Tensor,
    budget: int,
    score_weight: Tensor | None,
    lazy: bool,
    progress: ProgressFn | None = None,
) -> GreedyTrace:
    """Run ``budget`` greedy picks from the min distances ``start`` of the labelled set.

    space: the centred pool. labelled: (N,) bool. score_weight: (N,) the weight of each
    point's score ``weight * m`` (the doubt, for pweighted) or None for ``m``. lazy: bring
    min distances up to date only where a pick needs them (same picks and scores; see the
    module docstring). progress: called as
    ``progress("picks", picks done, budget)`` after each pick. Inputs are assumed valid (see
    :func:`alcore.select.coreset`). The picks run on one intra-op thread, the rebuilds of
    the hot set on the caller's while the cores are free (:mod:`alcore.select._threads`).
    """
    distances = MinDistanceState.first(space, start.distance, labelled, budget, lazy)
    picks: list[int] = []
    scores: list[float] = []
    with one_thread(space.points.device):
        for step in range(budget):
            taken = distances.take(score_weight)
            assert taken is not None  # budget <= unlabelled points, checked by the caller
            picks.append(taken[0])
            scores.append(taken[1])
            if progress is not None:
                progress("picks", step + 1, budget)
    distances.flush()
    device = space.points.device
    # a score is exact as a Python float (float32 or float64), rounded once to the working dtype
    score_tensor = torch.tensor(scores, dtype=torch.float64).to(device, space.points.dtype)
    return GreedyTrace(
        torch.tensor(picks, dtype=torch.int64, device=device), score_tensor, distances
    )


class MinDistanceState:
    """Each point's min distance to the centres, brought up to date where it is needed.

    ``upper[k]`` is point k's min distance over the labelled set and the first ``seen[k]``
    picks: an upper bound of its current min distance, equal to it once ``seen[k]`` is the
    number of picks. Eager (``lazy=False``) keeps every row up to date at every pick.

    Lazy, the search for the largest score keeps a *hot* set: available rows kept up to date
    at every pick (a screen by one matrix-vector product, then direct distances for the rows
    it leaves, from a gathered copy of their features), every other available row's stale
    score below the set's ``floor``. While the best hot score reaches the floor it is the
    largest of all; when it falls below, the set is rebuilt from the highest stale scores,
    brought up to date in bulk (one matrix product per group). Eager, every row is hot.
    Centres hold 0 and are never candidates.

    Between two :meth:`flush` calls the picks (:meth:`take`) live in the hot set's buffers
    alone; ``upper``, ``seen``, ``available``, ``picks`` are whole after :meth:`flush`,
    :meth:`largest` and :meth:`exact`.
    """

    def __init__(
        self,
        space: Workspace,
        upper: Tensor,
        seen: Tensor,
        available: Tensor,
        picks: Tensor,
        count: int,
        lazy: bool,
    ):
        """The state of a search after ``count`` picks (prefer :meth:`first`, :meth:`resume`).

        upper, seen, available: (N,), updated in place. picks: (budget,) int64, the first
        ``count`` filled in pick order.
        """
        self.space = space
        self.lazy = lazy
        self.upper = upper
        self.seen = seen
        self.available = available  # neither labelled nor picked
        self.picks = picks
        self.count = count
        capacity = picks.shape[0] if lazy else 0
        # the picks' features times -2 (exact), and their squared norms, for the screens
        self.scaled_centers = space.points.new_empty((capacity, space.points.shape[1]))
        self.center_sq = space.sq_norms.new_empty(capacity)
        if lazy and count > 0:
            torch.mul(space.points[picks[:count]], -2.0, out=self.scaled_centers[:count])
            self.center_sq[:count] = space.sq_norms[picks[:count]]
        self._hot: _Hot | None = None
        self._pending: list[int] = []  # picks taken since the last flush, in order
        self._width = 1  # rows a rebuild refreshes, in hot sets
        self._built_at: int | None = None  # the pick count at the last rebuild
        self._slack = 1.0 + space.gamma  # the rounding of a direct distance, squared
        # each row's nearest anchor (-1: not yet known) and an upper limit of its distance to it
        self._anchors_from = _ANCHORS  # the pick count from which a refresh tries the anchors
        self.anchor_group: Tensor | None = None
        self.anchor_reach: Tensor | None = None
        # the refreshes' products, one buffer reused: a fresh (R, J) result each time costs
        # a fifth more time on a CPU, in page faults
        self._product = space.points.new_empty(0)

    @staticmethod
    def first(
        space: Workspace, start: Tensor, labelled: Tensor, budget: int, lazy: bool
    ) -> MinDistanceState:
        """Before the first pick: the labelled set's min distances ``start`` (N,)."""
        seen = torch.zeros(start.shape[0], dtype=torch.int64, device=start.device)
        picks = torch.empty(budget, dtype=torch.int64, device=start.device)
        return MinDistanceState(space, start.clone(), seen, ~labelled, picks, 0, lazy)

    @staticmethod
    def resume(
        space: Workspace, upper: Tensor, seen: Tensor, available: Tensor, picks: Tensor
    ) -> MinDistanceState:
        """A lazy search after the picks ``picks`` (t,) in order; ``upper``, ``seen`` and
        ``available`` (N,) are its state, updated in place."""
        return MinDistanceState(space, upper, seen, available, picks, picks.shape[0], lazy=True)

    def take(self, weight: Tensor | None) -> tuple[int, float] | None:
        """Make the available point with the largest ``m`` (or ``weight * m``), the smallest
        index on ties, a centre: its pool index and its score (a Python float, exact in the
        score's dtype); None when no point is available. Run :meth:`flush` before reading
        the state's tensors."""
        found = self._best(weight)
        if found is None:
            return None
        hot, at, score = found
        pick = hot.row_list[at]
        center = self.space.points[pick : pick + 1]  # (1, D)
        hot.values[at] = -1.0  # a centre holds 0, and is no candidate
        if hot.weight is not None:
            hot.weight[at] = 1.0
        if hot.bound is None:  # every row hot: a literal pass
            torch.minimum(hot.values, exact_to_point(hot.points, center), out=hot.values)
        else:
            hot.bound[at] = float("-inf")
            self._lower_hot(hot, center, self.space.sq_norms[pick : pick + 1])
        self._pending.append(pick)
        self.count += 1
        return pick, score

    def largest(self, weight: Tensor | None) -> int | None:
        """The available point with the largest ``m`` (or ``weight * m``), the smallest index
        on ties, with its min distance now up to date in ``upper``; None when no point is
        available.

        A stale score bounds its current value from above, so a fresh score that no stale
        score reaches is the largest.
        """
        found = self._best(weight)
        self.flush()
        return None if found is None else found[0].row_list[found[1]]

    def _best(self, weight: Tensor | None) -> tuple[_Hot, int, float] | None:
        """The hot set holding the largest score, its position there and the score."""
        while True:
            hot = self._hot
            if hot is None or hot.key is not weight:
                hot = self._build_hot(weight)
                if hot is None:
                    return None
            score = (
                hot.values
                if hot.weight is None
                else torch.mul(hot.weight, hot.values, out=hot.score)
            )
            best, at = torch.max(score, dim=0)  # the first of equal maxima: rows ascend
            value = best.item()
            if value >= hot.floor and value >= 0.0:
                if self.count % _COMPACT_EVERY == 0 and hot.bound is not None:
                    compact = self._compact_hot(hot, score)
                    if compact is not None:
                        continue
                return hot, int(at.item()), value
            if hot.bound is None:  # every row is hot, and none is a candidate
                return None
            self._drop_hot()  # dry: every hot score is below the floor

    def _compact_hot(self, hot: _Hot, score: Tensor) -> _Hot | None:
        """The hot set without its rows scoring below the floor, when they are at least half
        of it (else None): a value only falls, so such a row can no longer be picked while
        the set lives, and keeping it up to date would cost a share of every pick. The rows
        left behind go back to ``upper``, up to date (:meth:`flush`)."""
        live = (score >= hot.floor).nonzero().squeeze(1)
        if 2 * live.shape[0] > hot.rows.shape[0]:
            return None
        self.flush()
        assert hot.bound is not None
        rows = hot.rows.index_select(0, live)
        values = hot.values.index_select(0, live)
        weight = None if hot.weight is None else hot.weight.index_select(0, live)
        self._hot = _Hot(
            rows,
            rows.tolist(),
            hot.points.index_select(0, live),
            hot.kept_sq.index_select(0, live),
            values,
            weight,
            values if weight is None else hot.score[: live.shape[0]],
            hot.bound.index_select(0, live),
            hot.floor,
            hot.key,
        )
        return self._hot

    def _lower_hot(self, hot: _Hot, center: Tensor, center_sq: Tensor) -> None:
        """Lower the hot values to their distances to ``center`` (1, D), where it is closer.

        One product screens every row; a row whose lower limit of the squared distance
        exceeds its ``bound`` keeps its value (a direct distance could not be below it), the
        others get the direct distance.
        """
        space = self.space
        lower = lower_squared_to_one(space, hot.points, hot.kept_sq, center[0] * -2.0, center_sq)
        assert hot.bound is not None
        rows = (lower <= hot.bound).nonzero().squeeze(1)  # compared in float64
        if rows.shape[0] == 0:
            return
        direct = exact_to_point(hot.points.index_select(0, rows), center)  # (R,)
        hot.values.scatter_reduce_(0, rows, direct, reduce="amin")
        # the bound grows with the value: the bound of the new minimum is the smaller bound
        hot.bound.scatter_reduce_(0, rows, self._bound(direct), reduce="amin")

    def _bound(self, values: Tensor) -> Tensor:
        """(R,) float64 squared ``values`` (R,) widened by the rounding of a direct distance:
        the screen's cut, as in :func:`pairs_to_compute`."""
        return values.to(torch.float64).square().mul_(self._slack)  # never in place: may be values

    def _build_hot(self, weight: Tensor | None) -> _Hot | None:
        """A hot set for the score weight ``weight``: every row when eager, else the highest
        stale scores brought up to date (a large product: :func:`bulk` threads)."""
        self._drop_hot()
        if self.lazy:
            with bulk():
                return self._rebuild_hot(weight)
        rows = torch.arange(self.upper.shape[0], device=self.upper.device)
        values = self.upper.masked_fill(~self.available, -1.0)
        self._hot = self._hot_of(rows, self.space.points, values, weight, None, float("-inf"))
        return self._hot

    def _rebuild_hot(self, weight: Tensor | None) -> _Hot | None:
        """A new hot set: about ``HOT_ROWS`` rows, up to date; None when no row is available.

        The ``width x HOT_ROWS`` highest stale scores (and ties) are brought up to date, but
        for those that fall below their cut on the way, and the ``HOT_ROWS`` highest of the
        fresh scores (and ties) kept. Every other available row scores below the floor: the
        cut of the stale scores, or of the fresh ones when that is higher. When every row
        fell below the cut, the next highest stale scores are taken.
        """
        n_available = int(self.available.sum())
        if n_available == 0:
            return None
        self._adapt_width()
        while True:
            score = self._scores(slice(None), weight)
            floor = score.topk(min(self._width * HOT_ROWS, n_available)).values[-1]
            rows = (score >= floor).nonzero().squeeze(1)  # ascending
            self.refresh(rows, (weight, floor))
            rows = rows[self.seen[rows] == self.count]  # the rows brought up to date
            if rows.shape[0] > 0:
                break
        if self._width > 1:
            fresh = self._scores(rows, weight)
            kept = fresh.topk(min(HOT_ROWS, rows.shape[0])).values[-1]
            rows = rows[fresh >= kept]
            floor = torch.maximum(floor, kept)
        values = self.upper[rows]  # a copy; every row available, so >= 0
        bound = self._bound(values)
        points = self.space.points.index_select(0, rows)
        self._hot = self._hot_of(rows, points, values, weight, bound, floor.item())
        return self._hot

    def _adapt_width(self) -> None:
        """Widen the refresh of a rebuild after a short-lived hot set (``_SHORT_LIVED``)."""
        if self._built_at is not None:
            lasted = self.count - self._built_at
            if lasted < _SHORT_LIVED:
                self._width = min(2 * self._width, _WIDEST)
        self._built_at = self.count

    def _hot_of(
        self,
        rows: Tensor,
        points: Tensor,
        values: Tensor,
        weight: Tensor | None,
        bound: Tensor | None,
        floor: float,
    ) -> _Hot:
        """A :class:`_Hot` of ``rows`` (H,) with ``values`` (H,), -1 where no candidate."""
        hot_weight = None
        score = values
        if weight is not None:
            hot_weight = weight[rows].masked_fill_(values < 0.0, 1.0)  # a copy: -1 scores -1
            score = torch.empty(rows.shape[0], dtype=torch.result_type(values, weight),
                                device=values.device)  # fmt: skip
        space = self.space
        sq = space.sq_norms if points is space.points else space.sq_norms.index_select(0, rows)
        kept_sq = kept_norms(space, sq)
        return _Hot(
            rows, rows.tolist(), points, kept_sq, values, hot_weight, score, bound, floor, weight
        )

    def _drop_hot(self) -> None:
        """Write the hot set back (:meth:`flush`) and forget it."""
        self.flush()
        self._hot = None

    def flush(self) -> None:
        """Write the picks taken since the last flush and the hot set's values back into
        ``upper``, ``seen``, ``available`` and ``picks``."""
        if self._pending:
            first = self.count - len(self._pending)
            taken = torch.tensor(self._pending, dtype=torch.int64, device=self.picks.device)
            self.picks[first : self.count] = taken
            self.available[taken] = False
            if self.lazy:
                torch.mul(
                    self.space.points.index_select(0, taken),
                    -2.0,
                    out=self.scaled_centers[first : self.count],
                )
                self.center_sq[first : self.count] = self.space.sq_norms[taken]
            self._pending.clear()
        hot = self._hot
        if hot is not None:
            # -1 marks a centre (or a labelled row, when every row is hot): each holds 0
            self.upper[hot.rows] = hot.values.clamp(min=0.0)
            self.seen[hot.rows] = self.count

    def exact(self) -> Tensor:
        """(N,) every point's current min distance (brings every row up to date)."""
        self.flush()
        self.refresh(self.available.nonzero().squeeze(1))
        return self.upper

    def _scores(self, rows: Tensor | slice, weight: Tensor | None) -> Tensor:
        score = self.upper[rows] if weight is None else self.upper[rows] * weight[rows]
        return score.masked_fill(~self.available[rows], -1.0)

    def refresh(self, rows: Tensor, stop: tuple[Tensor | None, Tensor] | None = None) -> None:
        """Bring ``upper`` of ``rows`` (R,) up to date with every pick (after :meth:`flush`).

        stop: (weight, floor): a row may stop short of the latest picks once its score
        (``weight * m``, or ``m``) is below ``floor``: the picks are taken oldest first, in
        doubling steps from ``_STOP_PICKS``, and ``seen`` counts those a row has seen.
        """
        rows = rows[self.seen[rows] < self.count]
        if rows.shape[0] == 0:
            return
        if stop is None:
            self._refresh_to(rows, self.count)
            return
        weight, floor = stop
        end = int(self.seen[rows].min())
        step = _STOP_PICKS
        while end < self.count and rows.shape[0] > 0:
            end = min(end + step, self.count)
            step *= 2
            self._refresh_to(rows, end)
            rows = rows[self._scores(rows, weight) >= floor]

    def _refresh_to(self, rows: Tensor, end: int) -> None:
        """Bring ``upper`` of ``rows`` (R,) up to date with the picks before ``end``.

        Few pairs are computed directly; many are screened first, grouped by how many picks
        a row has not seen (powers of two), so that a group's product covers at most about
        twice the centres any of its rows needs.
        """
        rows = rows[self.seen[rows] < end]
        if rows.shape[0] == 0:
            return
        missing = end - self.seen[rows]  # (R,) >= 1
        group = torch.frexp(missing.to(torch.float64)).exponent  # 2^(g-1) <= missing < 2^g
        for value in torch.unique(group).tolist():
            members = rows[group == value]
            first = int(self.seen[members].min())
            n_centers = end - first
            if members.shape[0] * n_centers <= _DIRECT_PAIRS:
                self._refresh_directly(members, first, end)
                continue
            step = max(1, _SCREEN_PAIRS // max(n_centers, self.space.points.shape[1]))
            for start in range(0, members.shape[0], step):
                self._refresh_screened(members[start : start + step], first, end)
        self.seen[rows] = end

    def _refresh_directly(self, rows: Tensor, first: int, end: int) -> None:
        """Lower ``upper[rows]`` with direct distances to the picks ``first:end``."""
        centers = self.space.points.index_select(0, self.picks[first:end])
        direct = exact_to_points(self.space.points.index_select(0, rows), centers)  # (R, J)
        picks = torch.arange(first, end, device=rows.device)
        direct.masked_fill_(picks[None, :] < self.seen[rows, None], float("inf"))  # seen
        self.upper[rows] = torch.minimum(self.upper[rows], direct.min(dim=1).values)

    def _refresh_screened(self, rows: Tensor, first: int, end: int) -> None:
        """Lower ``upper[rows]`` with the picks ``first:end``, each row's unseen ones.

        A large block first lets the anchors split it into groups of rows, each screened
        against only the centres it could be near (:meth:`_anchor_groups`); every block or
        group is screened and lowered by :meth:`_lower_group`.
        """
        if (
            end >= self._anchors_from
            and rows.shape[0] * (end - first) * self.space.points.shape[1] >= _ANCHOR_WORK
        ):
            groups = self._anchor_groups(rows, first, end)
            if groups is not None:
                for members, picks in groups:
                    self._lower_group(members, picks)
                return
            self._anchors_from = 2 * end
        self._lower_group(rows, torch.arange(first, end, device=rows.device))

    def _lower_group(self, rows: Tensor, picks: Tensor) -> None:
        """Lower ``upper[rows]`` (R,) with the pick numbers ``picks`` (J,) ascending, each
        row's unseen ones.
        Screens every pair with rigorous lower and upper limits of its squared distance; a
        pair is ruled out when its lower limit exceeds, beyond the rounding of a direct
        distance (``space.gamma``), the row's current value or another pair's upper limit
        (:func:`pairs_to_compute`). The pairs left get direct distances, from the rows and
        centres the screen gathered. A pick the row has already seen is no exception: its
        distance is at least the row's value, so the screen rules it out unless it is the
        row's nearest, whose direct distance is the value again (a minimum with it changes
        nothing), and masking the seen pairs would cost a tenth of the product.
        """
        space = self.space
        scaled = self.scaled_centers.index_select(0, picks)
        center_sq = self.center_sq.index_select(0, picks)
        sq = space.sq_norms.index_select(0, rows)
        points = space.points.index_select(0, rows)
        lower = lower_squared(space, points, sq, scaled, center_sq, self._buffer(rows, picks))
        current = self.upper.index_select(0, rows)
        pair_rows, pair_cols = pairs_to_compute(space, lower, sq, center_sq, current)
        if pair_rows.shape[0] == 0:
            return
        # -2c times -1/2 is c again, exactly: the same direct distances as from the pool
        direct = exact_to_point_pairs(points, pair_rows, scaled, pair_cols, -0.5)  # (P,)
        current.scatter_reduce_(0, pair_rows, direct, reduce="amin")
        self.upper.index_copy_(0, rows, current)

    def _buffer(self, rows: Tensor, picks: Tensor) -> Tensor:
        """An (R, J) view of the product buffer, for ``rows`` (R,) and ``picks`` (J,)."""
        size = rows.shape[0] * picks.shape[0]
        if self._product.shape[0] < size:
            self._product = self._product.new_empty(max(size, _SCREEN_PAIRS))
        return self._product[:size].view(rows.shape[0], picks.shape[0])

    def _anchor_groups(
        self, rows: Tensor, first: int, end: int
    ) -> list[tuple[Tensor, Tensor]] | None:
        """``rows`` (R,) split by nearest anchor (``_ANCHORS``), each group with the picks
        ``first:end`` that could lower one of its rows, as (pool rows, pick numbers)
        pairs; None when the groups would keep more than ``_ANCHOR_KEEP`` of the pairs.

        Rigorous: a centre c is left out of the group of anchor g only if a lower limit of
        d(c, g) reaches, for every row r of the group, an upper limit of d(r, g) plus the
        row's value times (1 + gamma); then d(r, c) >= d(c, g) - d(r, g) is at least that
        value widened by the rounding of a direct distance, which could not go below it.
        """
        space = self.space
        group, reach = self._nearest_anchor(rows)  # (R,), (R,) float64
        slack = 1.0 + space.gamma  # the rounding of a direct distance
        need = (reach + self.upper[rows].to(torch.float64) * slack) * (1.0 + 2.0**-40)
        group_need = need.new_full((_ANCHORS,), float("-inf"))
        group_need.scatter_reduce_(0, group, need, reduce="amax")  # (A,)
        anchors = self.picks[:_ANCHORS]
        apart = lower_distances(
            space,
            space.points.index_select(0, anchors),
            space.sq_norms.index_select(0, anchors),
            self.scaled_centers[first:end],
            self.center_sq[first:end],
        )  # (A, J)
        keep = apart < group_need[:, None]  # (A, J)
        sizes = torch.bincount(group, minlength=_ANCHORS)  # (A,)
        if int((keep.sum(dim=1) * sizes).sum()) > _ANCHOR_KEEP * keep.shape[1] * rows.shape[0]:
            return None
        order = torch.argsort(group, stable=True)
        groups = []
        begin = 0
        for anchor, size in enumerate(sizes.tolist()):
            members = order[begin : begin + size]
            begin += size
            picks = keep[anchor].nonzero().squeeze(1) + first
            if size > 0 and picks.shape[0] > 0:
                groups.append((rows[members], picks))
        return groups

    def _nearest_anchor(self, rows: Tensor) -> tuple[Tensor, Tensor]:
        """Each row's nearest anchor (R,) and an upper limit of its distance to it (R,)
        float64, computed once per row and kept (``anchor_group``, ``anchor_reach``, (N,))."""
        if self.anchor_group is None:
            self.anchor_group = torch.full_like(self.seen, -1)
            self.anchor_reach = self.upper.new_empty(self.upper.shape, dtype=torch.float64)
        assert self.anchor_reach is not None
        new = rows[self.anchor_group[rows] < 0]
        if new.shape[0] > 0:
            space = self.space
            group, reach = nearest_anchor(
                space,
                space.points.index_select(0, new),
                space.sq_norms[new],
                self.scaled_centers[:_ANCHORS],
                self.center_sq[:_ANCHORS],
            )
            self.anchor_group[new] = group
            self.anchor_reach[new] = reach
        return self.anchor_group[rows], self.anchor_reach[rows]


def pairs_to_compute(
    space: Workspace, lower: Tensor, sq: Tensor, center_sq: Tensor, current: Tensor
) -> tuple[Tensor, Tensor]:
    """The (row, column) pairs of a screened block that could hold a row's new minimum.

    lower: (R, J) rigorous lower limits of the squared distances (:func:`lower_squared`),
    ``inf`` where a pair does not count; sq: (R,) the rows' squared norms; center_sq: (J,)
    the centres'; current: (R,) each row's value so far (a direct distance). A pair is ruled
    out when its lower limit exceeds, beyond the rounding of a direct distance
    (``space.gamma``), the row's current value or an upper limit of the row's lowest pair
    (that pair's lower limit plus the :func:`lower_gap` of the block's largest centre norm:
    a values-only minimum is ten times as fast as one with its position). Returns (P,) rows
    and (P,) columns.
    """
    slack = 1.0 + space.gamma
    lowest = lower.amin(dim=1)  # (R,) inf where no pair counts
    gap = lower_gap(space, sq.to(torch.float64), float(center_sq.max()))
    upper = lowest.to(torch.float64).add_(gap)
    # never squared in place: the cast returns ``current`` itself when it is float64
    bound = torch.minimum(current.to(torch.float64).square(), upper.mul_(slack)).mul_(slack)
    # compared in the working dtype: the bound rounded up (it is >= 0), so that no candidate
    # is lost: widened by 2^-22 against the relative rounding to float32, and by the smallest
    # normal float32 against the absolute rounding among subnormals
    rounded = bound.mul_(1.0 + 2.0**-22).add_(2.0**-126).to(lower.dtype)
    return at_most(lower, rounded)
