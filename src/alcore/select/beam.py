"""Beam search over greedy core-set configurations (SPEC.md section 5, paper Equation 5).

A beam is a partial selection S with its own min-distance vector. Each step, every beam proposes
its K best candidates (highest score, ties to the smaller index); the children ``S + {c}`` that
are the same set are kept once; children are ranked by ``U(S) = mean_{x in S} -log(1 - I(x))``
(descending; ties by the parent's rank, then the candidate's rank) and the top K become the
beams. Width 1 is exactly the greedy algorithm.

Exactness details:
- ``U`` is summed in 2^-36 fixed point, so two orders of adding the same set give the same
  integer: equal sets always tie exactly, whatever order their picks came in.
- Duplicate children are found exactly, without hashing: two beams are distinct sets, so
  ``S_p + {c} == S_q + {d}`` (p != q) holds iff ``c in S_q``, ``d in S_p`` and the symmetric
  difference of S_p and S_q has exactly 2 elements. That size is kept for every pair of beams
  and updated in O(K^2) per step.
- The distances to the new centres are computed once per distinct centre, in one matrix
  product, and optionally only for the rows the triangle-inequality bound cannot rule out.
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
    chunk_rows,
    error_bound,
    exact_to_point,
    expanded_squared,
)

_ROW_CHUNK = 8192  # pool rows updated at a time (views); gathers take chunk_rows(D)

# Fixed-point scale of the U sums: -log(confidence) <= 37 for any doubt < 1 in float64, so
# sums of up to 10^6 picks fit in int64.
U_SCALE = 2.0**36


@dataclass(frozen=True)
class BeamTrace:
    """The final beams of a search, best first.

    picks: (K, b) int64 pool indices, each row in pick order; row 0 is the selection.
    scores: (K, b) each pick's score (m or doubt * m) when it was picked.
    u: (K,) float64 mean negative log confidence of each beam's set (0 for b = 0).
    min_distance: (N,) the rank-1 beam's distance of every point to its nearest centre.
    """

    picks: Tensor
    scores: Tensor
    u: Tensor
    min_distance: Tensor


def fixed_point_log_confidence(doubt: Tensor) -> Tensor:
    """``round(-log(1 - doubt) * 2^36)`` as int64: (N,) -> (N,)."""
    return torch.round(-torch.log1p(-doubt.to(torch.float64)) * U_SCALE).to(torch.int64)


def beam_search(
    space: Workspace,
    start: MinDistances,
    labelled: Tensor,
    budget: int,
    score_weight: Tensor | None,
    doubt: Tensor | None,
    width: int,
    prune: bool,
    progress: ProgressFn | None = None,
) -> BeamTrace:
    """Beam search of ``width`` beams for ``budget`` picks from the labelled set's ``start``.

    score_weight: (N,) doubt to weight the scores with, or None for plain min distances.
    doubt: (N,) in [0, 1) to rank beams by U, or None for U = 0 (only sensible for width 1).
    progress: called as ``progress("picks", steps done, budget)`` after each step.
    Inputs are assumed valid (see :func:`alcore.select.coreset`).
    """
    n_points = space.points.shape[0]
    device = space.points.device
    log_conf = (
        fixed_point_log_confidence(doubt)
        if doubt is not None
        else torch.zeros(n_points, dtype=torch.int64, device=device)
    )
    beams = _Beams.first(start, labelled, prune)
    backoff = Backoff(enabled=prune)
    # parent pointers, picks and scores of every step, preallocated: one long-lived buffer
    # instead of thousands of small tensors interleaved with the per-step temporaries
    history = _History.empty(budget, width, space.points)
    n_unlabelled = int((~labelled).sum())
    for step in range(budget):
        n_candidates = min(width, n_unlabelled - step)
        score = beams.min_distance
        if score_weight is not None:
            score = score * score_weight
        score = score.masked_fill(beams.excluded, -1.0)  # (B, N)
        candidates = _top_candidates(score, n_candidates)  # (B, n_candidates)
        parents, picks = _rank_children(beams, candidates, log_conf, width)
        history.record(step, parents, picks, score[parents, picks])
        beams = beams.extend(space, parents, picks, log_conf, backoff)
        if progress is not None:
            progress("picks", step + 1, budget)
    return _backtrack(beams, history, budget)


def _top_candidates(score: Tensor, k: int) -> Tensor:
    """Each row's k highest scores, ties to the smaller index: (B, N) -> (B, k) indices."""
    values, indices = torch.topk(score, k, dim=1)
    threshold = values[:, -1:]  # (B, 1) k-th largest
    if bool(((score >= threshold).sum(dim=1) == k).all()):
        candidates = indices.sort(dim=1).values  # no tie straddles the cut: topk's set is exact
    else:
        above = score > threshold
        tied = score == threshold
        room = k - above.sum(dim=1, keepdim=True)
        take = above | (tied & (tied.cumsum(dim=1) <= room))  # exactly k per row
        candidates = take.nonzero()[:, 1].view(score.shape[0], k)  # ascending index per row
    order = torch.sort(score.gather(1, candidates), dim=1, descending=True, stable=True).indices
    return candidates.gather(1, order)


def _rank_children(
    beams: _Beams, candidates: Tensor, log_conf: Tensor, width: int
) -> tuple[Tensor, Tensor]:
    """The top ``width`` distinct children as (parent beam rows, picked pool indices)."""
    n_beams, k = candidates.shape
    parent = torch.arange(n_beams, device=candidates.device).repeat_interleave(k)
    pick = candidates.reshape(-1)  # flat order = (parent rank, candidate rank)
    u_sum = beams.u_sum[parent] + log_conf[pick]
    order = torch.sort(u_sum, descending=True, stable=True).indices
    parent, pick = parent[order], pick[order]
    window = min(2 * width, parent.shape[0])
    while True:
        keep = ~_duplicates(beams, parent[:window], pick[:window])
        if int(keep.sum()) >= width or window == parent.shape[0]:
            break
        window = min(2 * window, parent.shape[0])
    kept = keep.nonzero().squeeze(1)[:width]
    return parent[kept], pick[kept]


def _duplicates(beams: _Beams, parent: Tensor, pick: Tensor) -> Tensor:
    """(W,) bool: child j is the same set as some earlier child i < j in the given order."""
    in_beam = beams.excluded[:, pick].T  # (W, B): pick_i in S_q (picks are never labelled)
    same = (
        (parent[:, None] != parent[None, :])
        & in_beam[:, parent]  # pick_i in S_{parent_j}
        & in_beam[:, parent].T  # pick_j in S_{parent_i}
        & (beams.symmetric_difference[parent][:, parent] == 2)
    )  # (W, W)
    return torch.triu(same, diagonal=1).any(dim=0)


@dataclass(frozen=True)
class _Beams:
    """The live beams, best first.

    min_distance: (B, N); excluded: (B, N) bool, the labelled set plus each beam's picks;
    u_sum: (B,) fixed-point sum of -log confidence; symmetric_difference: (B, B) int64 size of
    S_p xor S_q; nearest: (B, N) pool index of each point's nearest centre (pruning only).
    """

    min_distance: Tensor
    excluded: Tensor
    u_sum: Tensor
    symmetric_difference: Tensor
    nearest: Tensor | None

    @staticmethod
    def first(start: MinDistances, labelled: Tensor, prune: bool) -> _Beams:
        device = labelled.device
        return _Beams(
            min_distance=start.distance[None, :].clone(),
            excluded=labelled[None, :].clone(),
            u_sum=torch.zeros(1, dtype=torch.int64, device=device),
            symmetric_difference=torch.zeros((1, 1), dtype=torch.int64, device=device),
            nearest=start.nearest[None, :].clone() if prune else None,
        )

    def extend(
        self, space: Workspace, parents: Tensor, picks: Tensor, log_conf: Tensor, backoff: Backoff
    ) -> _Beams:
        """The children ``S_parent + {pick}`` as the new beams, in the given order."""
        rows = torch.arange(parents.shape[0], device=parents.device)
        excluded = self.excluded[parents]
        # membership[b, a] = picks[a] in S_{parents[b]}, before adding the new picks
        membership = excluded[:, picks].to(torch.int64)
        step = (1 - 2 * membership).T + (1 - 2 * membership)  # (a, b): +-1 + +-1
        same_pick = picks[:, None] == picks[None, :]
        symmetric_difference = self.symmetric_difference[parents][:, parents] + torch.where(
            same_pick, 0, step
        )
        excluded[rows, picks] = True
        min_distance = self.min_distance[parents]
        nearest = None if self.nearest is None else self.nearest[parents]
        _add_centers(space, min_distance, nearest, excluded, picks, backoff)
        return _Beams(
            min_distance,
            excluded,
            self.u_sum[parents] + log_conf[picks],
            symmetric_difference,
            nearest,
        )


def _add_centers(
    space: Workspace,
    min_distance: Tensor,
    nearest: Tensor | None,
    is_center: Tensor,
    picks: Tensor,
    backoff: Backoff,
) -> None:
    """Lower each beam's ``min_distance`` (B, N) in place to its new centre ``picks[b]``.

    Screens all beams' new centres in one matrix product, then computes exact distances once
    per distinct centre, only for the rows where some beam's value could drop. Given
    ``nearest`` (B, N) (pruning on), first rules out the rows where every beam's bound
    ``|nearest(k) - c| >= 2 m(k)`` holds, and keeps ``nearest`` up to date. Rows go in chunks,
    so extra memory stays O(chunk + B x N).
    is_center: (B, N) bool, the labelled set and each beam's picks, new ones included.
    """
    centers, column = torch.unique(picks, return_inverse=True)  # (U,), (B,)
    n_beams, n_points = min_distance.shape
    rows: Tensor | None = None
    if nearest is not None and backoff.should_try():
        rows = _rows_within_bound(space, min_distance, nearest, is_center, centers, column, backoff)
    chunks: list[slice] | list[Tensor]
    if rows is None:  # contiguous slices: views, no copies
        chunks = [slice(s, s + _ROW_CHUNK) for s in range(0, n_points, _ROW_CHUNK)]
    else:
        step = min(_ROW_CHUNK, chunk_rows(space.points.shape[1]))  # gathered: (step, D)
        chunks = [rows[s : s + step] for s in range(0, rows.shape[0], step)]
    for chunk in chunks:
        _update_rows(space, min_distance, nearest, chunk, centers, column, picks)
    beam_rows = torch.arange(n_beams, device=picks.device)
    min_distance[beam_rows, picks] = 0.0
    if nearest is not None:
        nearest[beam_rows, picks] = picks


def _update_rows(
    space: Workspace,
    min_distance: Tensor,
    nearest: Tensor | None,
    rows: slice | Tensor,
    centers: Tensor,
    column: Tensor,
    picks: Tensor,
) -> None:
    """:func:`_add_centers` on the pool rows ``rows`` (a slice or (R,) indices)."""
    points, sq = space.points[rows], space.sq_norms[rows]  # (R, D), (R,)
    center_points, center_sq = space.points[centers], space.sq_norms[centers]
    current = min_distance[:, rows]  # (B, R)
    screened = expanded_squared(points, sq, center_points, center_sq)  # (R, U)
    lower = screened - error_bound(space, sq[:, None], center_sq[None, :])
    maybe_closer = lower[:, column].T < current.square()  # (B, R)
    exact = torch.full_like(screened.T, float("inf"))  # (U, R)
    for u in range(centers.shape[0]):
        needed = maybe_closer[column == u].any(dim=0).nonzero().squeeze(1)
        if needed.shape[0] > 0:
            exact[u, needed] = exact_to_point(points[needed], center_points[u : u + 1])
    distance = exact[column]  # (B, R)
    closer = distance < current
    min_distance[:, rows] = torch.where(closer, distance, current)
    if nearest is not None:
        nearest[:, rows] = torch.where(closer, picks[:, None], nearest[:, rows])


def _rows_within_bound(
    space: Workspace,
    min_distance: Tensor,
    nearest: Tensor,
    is_center: Tensor,
    centers: Tensor,
    column: Tensor,
    backoff: Backoff,
) -> Tensor | None:
    """Rows k where some beam b has ``|nearest_b(k) - c_b| < 2 m_b(k)`` (:mod:`._prune`):
    (R,) int64, or None when a dense pass is cheaper."""
    slots = is_center.any(dim=0).nonzero().squeeze(1)  # every centre of any beam
    slot_of_point = torch.full_like(min_distance[0], -1, dtype=torch.int64)
    slot_of_point[slots] = torch.arange(slots.shape[0], device=slots.device)
    center_points, center_sq = space.points[centers], space.sq_norms[centers]
    lower = center_sq.new_empty((centers.shape[0], slots.shape[0]))  # (U, S) <= true distances
    step = min(_ROW_CHUNK, chunk_rows(space.points.shape[1]))  # gathered: (step, D)
    for start in range(0, slots.shape[0], step):
        chunk = slots[start : start + step]
        lower[:, start : start + chunk.shape[0]] = center_lower_limits(
            space, space.points[chunk], space.sq_norms[chunk], center_points, center_sq
        ).T
    bound = lower[column[:, None], slot_of_point[nearest]]  # (B, N)
    return rows_to_update(bound, min_distance, backoff)


@dataclass(frozen=True)
class _History:
    """Per step: each new beam's parent row, pick and score; rows past the beams live are -1."""

    parents: Tensor  # (b, K) int64
    picks: Tensor  # (b, K) int64
    scores: Tensor  # (b, K) float

    @staticmethod
    def empty(budget: int, width: int, like: Tensor) -> _History:
        index = torch.full((budget, width), -1, dtype=torch.int64, device=like.device)
        return _History(index, index.clone(), like.new_zeros((budget, width)))

    def record(self, step: int, parents: Tensor, picks: Tensor, scores: Tensor) -> None:
        n = parents.shape[0]
        self.parents[step, :n] = parents
        self.picks[step, :n] = picks
        self.scores[step, :n] = scores


def _backtrack(beams: _Beams, history: _History, budget: int) -> BeamTrace:
    """Follow the parent pointers back from the final beams to their pick sequences."""
    n_beams = beams.u_sum.shape[0]
    device = beams.u_sum.device
    picks = torch.empty((n_beams, budget), dtype=torch.int64, device=device)
    scores = torch.empty((n_beams, budget), dtype=beams.min_distance.dtype, device=device)
    row = torch.arange(n_beams, device=device)
    for step in range(budget - 1, -1, -1):
        picks[:, step] = history.picks[step, row]
        scores[:, step] = history.scores[step, row]
        row = history.parents[step, row]
    u = beams.u_sum.to(torch.float64) / U_SCALE / max(budget, 1)
    return BeamTrace(picks, scores, u, beams.min_distance[0])
