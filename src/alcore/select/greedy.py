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
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from alcore.select.distances import (
    MinDistances,
    ProgressFn,
    Workspace,
    exact_to_point,
    exact_to_point_pairs,
    exact_to_points,
    lower_gap,
    lower_squared,
)

# Rows kept up to date at every pick; the set is rebuilt when it runs dry.
_HOT_ROWS = 1024
# Up to this many (row, centre) pairs a refresh computes every distance directly; more are
# screened with a matrix product first.
_DIRECT_PAIRS = 4096
# Pairs (rows x centres) screened at a time by a refresh, so extra memory stays bounded.
_SCREEN_PAIRS = 1 << 20


@dataclass(frozen=True)
class _Hot:
    """The rows :class:`MinDistanceState` keeps up to date at every pick.

    rows: (H,) ascending pool indices; points: (H, D) their features, gathered once; floor:
    () every available row outside ``rows`` has a stale score below it; weight: the score's
    weight it was built for.
    """

    rows: Tensor
    points: Tensor
    floor: Tensor
    weight: Tensor | None


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
    :func:`alcore.select.coreset`).
    """
    distances = MinDistanceState.first(space, start.distance, labelled, budget, lazy)
    picks = torch.empty(budget, dtype=torch.int64, device=space.points.device)
    scores = torch.empty(budget, dtype=space.points.dtype, device=space.points.device)
    for step in range(budget):
        pick = distances.largest(score_weight)
        assert pick is not None  # budget <= unlabelled points, checked by the caller
        picks[step] = pick
        value = distances.upper[pick]
        scores[step] = value if score_weight is None else value * score_weight[pick]
        distances.add_center(pick)
        if progress is not None:
            progress("picks", step + 1, budget)
    return GreedyTrace(picks, scores, distances)


class MinDistanceState:
    """Each point's min distance to the centres, brought up to date where it is needed.

    ``upper[k]`` is point k's min distance over the labelled set and the first ``seen[k]``
    picks: an upper bound of its current min distance, equal to it once ``seen[k]`` is the
    number of picks. Eager (``lazy=False``) updates every row at every pick instead.

    Lazy, the search for the largest score keeps a *hot* set: available rows kept up to date
    at every pick (one small direct pass, from a gathered copy of their features), every
    other available row's stale score below the set's ``floor``. While the best hot score
    reaches the floor it is the largest of all; when it falls below, the set is rebuilt from
    the highest stale scores, brought up to date in bulk (one matrix product per group).
    Centres hold 0 and are never candidates.
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
        self.centers = space.points.new_empty((capacity, space.points.shape[1]))
        self.center_sq = space.sq_norms.new_empty(capacity)
        if lazy and count > 0:
            self.centers[:count] = space.points[picks[:count]]
            self.center_sq[:count] = space.sq_norms[picks[:count]]
        self._hot: _Hot | None = None

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

    def add_center(self, pick: int) -> None:
        """Make pool point ``pick`` a centre."""
        center = self.space.points[pick : pick + 1]  # (1, D)
        if self.lazy:
            self.centers[self.count] = center[0]
            self.center_sq[self.count] = self.space.sq_norms[pick]
        else:
            torch.minimum(self.upper, exact_to_point(self.space.points, center), out=self.upper)
            self.seen.fill_(self.count + 1)
        self.picks[self.count] = pick
        self.count += 1
        self.upper[pick] = 0.0
        self.available[pick] = False
        self.seen[pick] = self.count
        hot = self._hot
        if hot is not None:
            current = self.upper[hot.rows]
            self.upper[hot.rows] = torch.minimum(current, exact_to_point(hot.points, center))
            self.seen[hot.rows] = self.count

    def largest(self, weight: Tensor | None) -> int | None:
        """The available point with the largest ``m`` (or ``weight * m``), the smallest index
        on ties, with its min distance now up to date; None when no point is available.

        A stale score bounds its current value from above, so a fresh score that no stale
        score reaches is the largest.
        """
        if not self.lazy:
            if not bool(self.available.any()):
                return None
            return int(self._scores(slice(None), weight).argmax())
        while True:
            hot = self._hot
            if hot is None or hot.weight is not weight:
                hot = self._rebuild_hot(weight)
                if hot is None:
                    return None
            score = self._scores(hot.rows, weight)  # (H,) -1 for rows picked since
            best = score.max()
            if bool(best >= hot.floor) and bool(best >= 0.0):
                return int(hot.rows[score.argmax()])  # rows ascend: the smallest index on ties
            self._hot = None  # dry: every hot score is below the floor

    def _rebuild_hot(self, weight: Tensor | None) -> _Hot | None:
        """The rows of the ``_HOT_ROWS`` highest stale scores (and ties), brought up to date;
        None when no row is available."""
        n_available = int(self.available.sum())
        if n_available == 0:
            return None
        score = self._scores(slice(None), weight)
        floor = score.topk(min(_HOT_ROWS, n_available)).values[-1]
        rows = (score >= floor).nonzero().squeeze(1)  # ascending
        self.refresh(rows)
        self._hot = _Hot(rows, self.space.points[rows], floor, weight)
        return self._hot

    def exact(self) -> Tensor:
        """(N,) every point's current min distance (brings every row up to date)."""
        self.refresh(self.available.nonzero().squeeze(1))
        return self.upper

    def _scores(self, rows: Tensor | slice, weight: Tensor | None) -> Tensor:
        score = self.upper[rows] if weight is None else self.upper[rows] * weight[rows]
        return score.masked_fill(~self.available[rows], -1.0)

    def refresh(self, rows: Tensor) -> None:
        """Bring ``upper`` of ``rows`` (R,) up to date with every pick.

        Few pairs are computed directly; many are screened first, grouped by how many picks
        a row has not seen (powers of two), so that a group's product covers at most about
        twice the centres any of its rows needs.
        """
        rows = rows[self.seen[rows] < self.count]
        if rows.shape[0] == 0:
            return
        missing = self.count - self.seen[rows]  # (R,) >= 1
        group = torch.frexp(missing.to(torch.float64)).exponent  # 2^(g-1) <= missing < 2^g
        for value in torch.unique(group).tolist():
            members = rows[group == value]
            first = int(self.seen[members].min())
            n_centers = self.count - first
            if members.shape[0] * n_centers <= _DIRECT_PAIRS:
                self._refresh_directly(members, first)
                continue
            step = max(1, _SCREEN_PAIRS // max(n_centers, self.space.points.shape[1]))
            for start in range(0, members.shape[0], step):
                self._refresh_screened(members[start : start + step], first)
        self.seen[rows] = self.count

    def _unseen(self, rows: Tensor, first: int) -> Tensor:
        """(R, J) True where pick ``first + j`` is one row r has already seen."""
        picks = torch.arange(first, self.count, device=rows.device)
        return picks[None, :] < self.seen[rows, None]

    def _refresh_directly(self, rows: Tensor, first: int) -> None:
        """Lower ``upper[rows]`` with direct distances to the picks ``first:count``."""
        direct = exact_to_points(self.space.points[rows], self.centers[first : self.count])
        direct.masked_fill_(self._unseen(rows, first), float("inf"))
        self.upper[rows] = torch.minimum(self.upper[rows], direct.min(dim=1).values)

    def _refresh_screened(self, rows: Tensor, first: int) -> None:
        """Lower ``upper[rows]`` with the picks ``first:count``, each row's unseen ones.

        Screens every (row, centre) pair with rigorous lower and upper limits of its squared
        distance; computes directly only the pairs that could be a row's new minimum. A pair
        is ruled out when its lower limit exceeds, beyond the rounding of a direct distance
        (``space.gamma``), the row's current value or another pair's upper limit.
        """
        space = self.space
        points, sq = space.points[rows], space.sq_norms[rows]  # (R, D), (R,)
        centers = self.centers[first : self.count]
        center_sq = self.center_sq[first : self.count]
        lower = lower_squared(space, points, sq, centers * -2.0, center_sq)  # (R, J)
        lower.masked_fill_(self._unseen(rows, first), float("inf"))
        gap = lower_gap(space, sq[:, None], center_sq[None, :])
        pair_rows, pair_cols = pairs_to_compute(space, lower, gap, self.upper[rows])
        if pair_rows.shape[0] == 0:
            return
        center_rows = self.picks[pair_cols + first]
        direct = exact_to_point_pairs(space, rows[pair_rows], center_rows)  # (P,)
        lowest = self.upper[rows]  # (R,) a copy
        lowest.scatter_reduce_(0, pair_rows, direct, reduce="amin")
        self.upper[rows] = lowest


def pairs_to_compute(
    space: Workspace, lower: Tensor, gap: Tensor, current: Tensor
) -> tuple[Tensor, Tensor]:
    """The (row, column) pairs of a screened block that could hold a row's new minimum.

    lower: (R, J) rigorous lower limits of the squared distances (:func:`lower_squared`),
    ``inf`` where a pair does not count; gap: (R, J) what makes them upper limits
    (:func:`lower_gap`); current: (R,) each row's value so far (a direct distance). A pair
    is ruled out when its lower limit exceeds, beyond the rounding of a direct distance
    (``space.gamma``), the row's current value or another pair's upper limit. Returns (P,)
    rows and (P,) columns.
    """
    slack = 1.0 + space.gamma
    lowest_upper = (lower + gap).min(dim=1).values.to(torch.float64)  # (R,)
    bound = torch.minimum(current.to(torch.float64).square(), lowest_upper * slack) * slack
    # compared in the working dtype: the bound rounded up, so that no candidate is lost
    rounded = bound.to(lower.dtype)
    above = torch.nextafter(rounded, lower.new_tensor(float("inf")))
    rounded = torch.where(rounded.to(torch.float64) < bound, above, rounded)
    pair_rows, pair_cols = (lower <= rounded[:, None]).nonzero(as_tuple=True)
    return pair_rows, pair_cols
