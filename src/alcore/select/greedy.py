"""Greedy core-set (paper Algorithm 1) and its doubt-weighted form (Algorithm 2).

Each pick takes the unlabelled, unpicked point with the largest score ``m(i)`` (or
``doubt(i) * m(i)``), ties to the smallest index, then lowers every ``m(k)`` to its distance to
the new centre.

The update is where the time goes: one pass over all N rows per pick. With ``prune=True`` the
kernel skips the rows the triangle inequality rules out (:mod:`alcore.select._prune`, shared
with the beam search); only the distances from the existing centres to the new one are
computed for every pick.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from alcore.select._backoff import Backoff
from alcore.select._prune import center_lower_limits, rows_to_update
from alcore.select.distances import (
    MinDistances,
    ProgressFn,
    Workspace,
    exact_to_point,
    exact_to_point_at,
)


@dataclass(frozen=True)
class GreedyTrace:
    """What one greedy run produced.

    picks: (b,) int64 pool indices in pick order.
    scores: (b,) the score (m or doubt * m) of each pick when it was picked.
    min_distance: (N,) each point's distance to the nearest labelled or picked point.
    """

    picks: Tensor
    scores: Tensor
    min_distance: Tensor


def greedy(
    space: Workspace,
    start: MinDistances,
    labelled: Tensor,
    budget: int,
    doubt: Tensor | None,
    prune: bool,
    progress: ProgressFn | None = None,
) -> GreedyTrace:
    """Run ``budget`` greedy picks from the min distances ``start`` of the labelled set.

    space: the centred pool. labelled: (N,) bool. doubt: (N,) in [0, 1) or None for the
    unweighted score. progress: called as ``progress("picks", picks done, budget)`` after
    each pick. Inputs are assumed valid (see :func:`alcore.select.coreset`).
    """
    device = space.points.device
    available = ~labelled
    min_distance = start.distance.clone()
    picks = torch.empty(budget, dtype=torch.int64, device=device)
    scores = torch.empty(budget, dtype=space.points.dtype, device=device)
    pruner = _Pruner(space, start, labelled, budget) if prune else None
    for step in range(budget):
        score = min_distance if doubt is None else min_distance * doubt
        score = score.masked_fill(~available, -1.0)
        pick = score.argmax().view(1)  # first maximum = smallest index on ties
        picks[step : step + 1] = pick
        scores[step : step + 1] = score.index_select(0, pick)
        available.index_fill_(0, pick, False)
        if pruner is None:
            center = space.points.index_select(0, pick)
            torch.minimum(min_distance, exact_to_point(space.points, center), out=min_distance)
        else:
            pruner.add_center(min_distance, pick)
        min_distance.index_fill_(0, pick, 0.0)
        if progress is not None:
            progress("picks", step + 1, budget)
    return GreedyTrace(picks, scores, min_distance)


class _Pruner:
    """Nearest-centre bookkeeping for the triangle-inequality bound.

    Centres live in slots: slot s holds a centre's working-copy row; ``slot_of_point[k]`` is
    the slot of point k's nearest centre.
    """

    def __init__(self, space: Workspace, start: MinDistances, labelled: Tensor, budget: int):
        self.space = space
        first = labelled.nonzero().squeeze(1)
        n_first = first.shape[0]
        slot_of_center = torch.full_like(start.nearest, -1)
        slot_of_center[first] = torch.arange(n_first, device=first.device)
        self.slot_of_point = slot_of_center[start.nearest]
        capacity = n_first + budget
        self.centers = space.points.new_empty((capacity, space.points.shape[1]))
        self.center_sq_norms = space.sq_norms.new_empty(capacity)
        self.centers[:n_first] = space.points[first]
        self.center_sq_norms[:n_first] = space.sq_norms[first]
        self.n_centers = n_first
        self.backoff = Backoff(enabled=True)

    def add_center(self, min_distance: Tensor, pick: Tensor) -> None:
        """Lower ``min_distance`` (N,) in place to the distance to the new centre ``pick`` (1,)."""
        space, slot = self.space, self.n_centers
        center = space.points.index_select(0, pick)  # (1, D)
        center_sq = space.sq_norms.index_select(0, pick)
        rows = self._rows_within_bound(min_distance, center, center_sq)
        if rows is None:
            distance = exact_to_point(space.points, center)
            closer = distance < min_distance
            torch.minimum(min_distance, distance, out=min_distance)
            self.slot_of_point.masked_fill_(closer, slot)
        elif rows.shape[0] > 0:
            distance = exact_to_point_at(space, rows, center)
            current = min_distance[rows]
            closer = distance < current
            min_distance[rows] = torch.where(closer, distance, current)
            self.slot_of_point[rows[closer]] = slot
        self.slot_of_point.index_fill_(0, pick, slot)
        self.centers[slot] = center.squeeze(0)
        self.center_sq_norms[slot] = center_sq.squeeze(0)
        self.n_centers += 1

    def _rows_within_bound(
        self, min_distance: Tensor, center: Tensor, center_sq: Tensor
    ) -> Tensor | None:
        """Rows k with ``|a(k) - c| < 2 m(k)``, or None when a dense pass is cheaper."""
        if not self.backoff.should_try():
            return None
        slot = self.n_centers
        centers, centers_sq = self.centers[:slot], self.center_sq_norms[:slot]
        to_center = center_lower_limits(self.space, centers, centers_sq, center, center_sq)
        bound = to_center[:, 0][self.slot_of_point]  # (N,) <= |a(k) - c|
        return rows_to_update(bound[None, :], min_distance[None, :], self.backoff)
